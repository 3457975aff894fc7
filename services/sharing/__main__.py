from services.sharing.app import main

main()
