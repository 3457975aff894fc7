from services.webhooks.app import main

main()
