from earwitness.cli import main

main()
