from lineage.cli.main import main

main()
