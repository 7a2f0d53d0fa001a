// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/steps"
)

var platformTimeRE = regexp.MustCompile(`(\S+/\S+) type-checked in ([0-9.]+)s`)

// BenchmarkTypecheck measures verify:typecheck on the synthetic workspace
// of BenchmarkVerify, and reports each platform's share (the step's log)
// as s-GOOS-GOARCH. The first iteration also fills the Go build cache;
// run with -benchtime 2x and read the second for the warm figure.
func BenchmarkTypecheck(b *testing.B) {
	dir := b.TempDir()
	KubeScale.Write(b, dir)
	for i := 0; i < b.N; i++ {
		rep := runOnce(b, dir, build.Verify, steps.Typecheck)
		for _, m := range platformTimeRE.FindAllStringSubmatch(rep.Results[0].Log, -1) {
			s, _ := strconv.ParseFloat(m[2], 64)
			b.Logf("iteration %d: %s %.1fs", i+1, m[1], s)
			b.ReportMetric(s, "s-"+strings.ReplaceAll(m[1], "/", "-"))
		}
	}
}
