from reviewcli.entry import main

main()
