from dis_annotator.cli import main

raise SystemExit(main())
