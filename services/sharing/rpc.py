"""The commands the sharing service answers (contracts/sharing_commands.py), each with its handler;
services/runtime/rpc.py serves them in the `sharing` queue group."""

from __future__ import annotations

from contracts import sharing_commands as command
from services.runtime.rpc import Handlers
from services.sharing.commands import ShareLinkCommands
from services.sharing.embeds import IframeTokens
from services.sharing.queries import ShareLinkQueries
from services.sharing.viewers import LinkViewers


def served(commands: ShareLinkCommands, queries: ShareLinkQueries, viewers: LinkViewers,
           iframe_tokens: IframeTokens) -> Handlers:
    return {
        command.IssueLink: commands.issue, command.RevokeLink: commands.revoke, command.RevealLink: commands.reveal,
        command.DashboardLinks: queries.links_of_dashboard, command.GetLink: queries.link,
        command.LinkViews: queries.views, command.OpenLink: viewers.open,
        command.RequestCode: viewers.request_code, command.VerifyCode: viewers.verify_code,
        command.IssueIframeToken: iframe_tokens.issue, command.RevokeIframeToken: iframe_tokens.revoke,
        command.RevokeTenantIframeTokens: iframe_tokens.revoke_tenant, command.OpenEmbed: iframe_tokens.open,
    }
