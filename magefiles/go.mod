module github.com/hackless/hackless/magefiles

go 1.25

require github.com/hackless/hackless v0.0.0

require (
	github.com/fatih/color v1.15.0 // indirect
	github.com/golangci/misspell v0.4.0 // indirect
	github.com/google/licensecheck v0.3.1 // indirect
	github.com/magefile/mage v1.16.0 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.17 // indirect
	golang.org/x/mod v0.20.0 // indirect
	golang.org/x/sync v0.1.0 // indirect
	golang.org/x/sys v0.6.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/hackless/hackless => ..

tool (
	github.com/hackless/hackless/cmd/hackless
	github.com/magefile/mage
)
