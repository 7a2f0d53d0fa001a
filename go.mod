module github.com/hackless/hackless

go 1.26.0

tool (
	github.com/hackless/hackless/cmd/hackless
	github.com/magefile/mage
)

require (
	github.com/fatih/color v1.19.0
	github.com/golangci/misspell v0.7.0
	github.com/google/licensecheck v0.3.1
	github.com/magefile/mage v1.17.2
	github.com/mattn/go-isatty v0.0.20
	go.yaml.in/yaml/v3 v3.0.4
	golang.org/x/mod v0.42.0
	golang.org/x/sync v0.24.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	golang.org/x/sys v0.42.0 // indirect
)
