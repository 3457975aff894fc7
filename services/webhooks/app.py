"""The webhooks service: delivers events to customer URLs, signed, retried, logged.

Its delivery consumer arrives with the webhooks feature; today it joins the platform and beats."""

from __future__ import annotations

from services.runtime.service import run_service


def main() -> None:
    run_service("webhooks")


if __name__ == "__main__":
    main()
