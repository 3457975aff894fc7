from services.generation.app import main

main()
