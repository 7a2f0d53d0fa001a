module github.com/hackless/hackless

// hackless is a library that joins the build list of every adopter's
// hackless module (magefiles/, never the product's): its go line is the
// oldest supported Go release and each requirement is the lowest version
// hackless needs.
go 1.25

require (
	github.com/fatih/color v1.15.0
	github.com/golangci/misspell v0.4.0
	github.com/google/licensecheck v0.3.1
	github.com/magefile/mage v1.16.0
	github.com/mattn/go-isatty v0.0.17
	golang.org/x/mod v0.20.0
	golang.org/x/sync v0.1.0
	golang.org/x/sys v0.6.0
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/mattn/go-colorable v0.1.13 // indirect
