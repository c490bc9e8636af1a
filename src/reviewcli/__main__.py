from reviewcli.cli import main

main()
