// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, data, wantErr string
	}{
		{name: "empty", data: ""},
		{name: "comments only", data: "# nothing yet\n"},
		{name: "every section", data: `
workspace: {exclude: [tools], include: [hack/tools]}
spelling: {exclude: ["CHANGELOG/**"], locale: US, ignore: [colour]}
vet:
  analyzers: {copylocks: false}
  exclude:
    - {path: "**/*_test.go", analyzer: copylocks, text: "passes lock"}
lint: {config: tools/.golangci.yaml, version: v2.1.6}
licenses: {exclude: [examples]}
gofmt: {generated: skip}
boilerplate:
  exclude: ["third_party/**"]
  rules:
    - {files: ["**/*.go"], lines: 3, text: "Copyright The OpenTelemetry Authors"}
deps: {ownVersions: [example.com/api]}
codegen:
  tools: {stringer: golang.org/x/tools/cmd/stringer@v0.39.0}
  path: [.tools]
typecheck: {platforms: [linux/amd64, windows/arm64]}
filesizes: {max: 2097152, allow: ["api/**"]}
scripts:
  discover: hack
  exclude: [verify-all.sh]
  steps: [{name: shellcheck, verify: hack/verify-shellcheck.sh, reads: ["**/*.sh"]}]
`},
		{name: "script without command", data: "scripts:\n  steps:\n    - name: x\n", wantErr: `hackless.yaml:3: scripts.steps has a script named "x"`},
		{name: "script name with a colon", data: "scripts:\n  steps: [{name: \"a:b\", verify: x.sh}]\n", wantErr: `script named "a:b"`},
		{name: "bad platform", data: "typecheck:\n  platforms: [linux]\n", wantErr: `hackless.yaml:2: typecheck.platforms has "linux"`},
		{name: "tool at latest", data: "codegen:\n  tools:\n    stringer: golang.org/x/tools/cmd/stringer@latest\n", wantErr: `hackless.yaml:3: codegen.tools.stringer is "golang.org/x/tools/cmd/stringer@latest"`},
		{name: "tool without version", data: "codegen:\n  tools: {stringer: golang.org/x/tools/cmd/stringer}\n", wantErr: `hackless.yaml:2: codegen.tools.stringer`},
		{name: "unknown top-level", data: "spelling: {}\nvett: {}\n", wantErr: `hackless.yaml:2: unknown setting "vett" in hackless.yaml`},
		{name: "unknown nested", data: "vet:\n  exclude:\n    - path: a\n      analyser: b\n", wantErr: `hackless.yaml:4: unknown setting "analyser" in vet.exclude`},
		{name: "wrong type", data: "spelling:\n  exclude: 3\n", wantErr: "hackless.yaml:2: cannot unmarshal"},
		{name: "not a mapping", data: "vet: [a]\n", wantErr: "hackless.yaml:1: vet must be a mapping"},
		{name: "bad enum", data: "gofmt:\n  generated: maybe\n", wantErr: `hackless.yaml:2: gofmt.generated is "maybe"`},
		{name: "rule without text", data: "boilerplate:\n  rules:\n    - lines: 3\n", wantErr: "needs exactly one of text and pattern"},
		{name: "syntax error", data: "vet: {\n", wantErr: "hackless.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.data))
			if tc.wantErr == "" {
				if err != nil || cfg == nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Parse error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	cfg, err := Parse([]byte("workspace: {exclude: [build/ci], include: [cmd/tools]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{
		"tools": true, "hack/tools": true, "internal/tools": true, "_tools": true,
		"build/ci": true, "cmd/tools": false, ".": false, "api": false, "toolsmith": false,
	} {
		if got := cfg.Excluded(dir); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", dir, got, want)
		}
	}
}

// TestReadmeExample parses the manual's hackless.yaml example, which shows
// every section: the manual cannot drift from the parser.
func TestReadmeExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/manual.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "## Configuration: hackless.yaml")
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	cfg, err := Parse([]byte(example))
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	v := reflect.ValueOf(*cfg)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("the README's example has no %s section", v.Type().Field(i).Tag.Get("yaml"))
		}
	}
}
