from dlcalc.cli.main import main

main()
