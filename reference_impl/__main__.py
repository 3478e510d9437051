from reference_impl.serve import main

main()
