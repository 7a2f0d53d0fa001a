// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/internal/testws"
)

// TestVulns runs govulncheck against a small copy of the database
// (testdata/vulndb: two vulnerabilities of golang.org/x/text v0.3.5, in
// golang.org/x/text/language): the module that calls language.Parse is
// reported at the call, the one that only imports a package of x/text is
// not, and the vulnerability nothing calls is only counted.
func TestVulns(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds govulncheck")
	}
	db, err := filepath.Abs("testdata/vulndb")
	if err != nil {
		t.Fatal(err)
	}
	files := testws.Staging()
	const lang = "staging/src/example.com/lang/"
	files[lang+"go.mod"] = "module example.com/lang\n\ngo " + testws.GoVersion + "\n\nrequire golang.org/x/text v0.3.5\n"
	files[lang+"lang.go"] = "// Package lang parses tags.\npackage lang\n\nimport \"golang.org/x/text/language\"\n\n// Tag parses s.\nfunc Tag(s string) string {\n\tt, _ := language.Parse(s)\n\treturn t.String()\n}\n"
	files[lang+"norm/norm.go"] = "// Package norm normalizes.\npackage norm\n\nimport \"golang.org/x/text/unicode/norm\"\n\n// NFC normalizes s.\nfunc NFC(s string) string { return norm.NFC.String(s) }\n"
	files["go.work"] = strings.Replace(files["go.work"], ")", "\t./"+strings.TrimSuffix(lang, "/")+"\n)", 1)
	files["hackless.yaml"] = "vulnerabilities:\n  db: " + db + "\n"
	dir := testws.New(t, files)
	testws.Tidy(t, dir, lang)

	rep, out := runSteps(t, dir, build.Verify, nil, Vulnerabilities)
	wantFindings(t, rep, "vulnerabilities", out,
		lang+"lang.go:8:24: calls code with vulnerability GO-2021-0113 (CVE-2021-38561: Out-of-bounds read in golang.org/x/text/language): golang.org/x/text v0.3.5 (golang.org/x/text/language.Parse), fixed in v0.3.7")
	if n := len(result(rep, "vulnerabilities").Findings); n != 1 || !strings.Contains(out, "2 known vulnerabilities in the build list, 1 called") {
		t.Fatalf("want one finding, one vulnerability not called:\n%s", out)
	}

	// Accepted with a reason: it passes, and says so.
	testws.Write(t, dir, testws.Files{DefaultAcceptedVulns: "{\n  \"GO-2021-0113\": \"lang.Tag only parses tags we wrote\",\n  \"GO-2022-1059\": \"no Accept-Language parsing\"\n}\n"})
	rep, out = runSteps(t, dir, build.Verify, nil, Vulnerabilities)
	wantFindings(t, rep, "vulnerabilities", out, DefaultAcceptedVulns+":3: GO-2022-1059 is accepted but no code calls it any more: remove it")
	if !strings.Contains(out, "GO-2021-0113 is called but accepted: lang.Tag only parses tags we wrote") {
		t.Errorf("the accepted vulnerability is not named:\n%s", out)
	}
	runSteps(t, dir, build.Update, nil, Vulnerabilities)
	if b, _ := os.ReadFile(filepath.Join(dir, DefaultAcceptedVulns)); string(b) != "{\n  \"GO-2021-0113\": \"lang.Tag only parses tags we wrote\"\n}\n" {
		t.Errorf("after update:\n%s", b)
	}
	if rep, out := runSteps(t, dir, build.Verify, nil, Vulnerabilities); rep.ExitCode() != build.ExitOK {
		t.Errorf("after update:\n%s", out)
	}

	testws.Write(t, dir, testws.Files{DefaultAcceptedVulns: "{\"GO-2021-0113\": \"\"}\n"})
	if rep, out := runSteps(t, dir, build.Verify, nil, Vulnerabilities); rep.ExitCode() != build.ExitUsage || !strings.Contains(out, "accepted without a reason") {
		t.Errorf("an acceptance without a reason: exit %d:\n%s", rep.ExitCode(), out)
	}
}
