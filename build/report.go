// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package build

import (
	"encoding/json"
	"encoding/xml"
	"slices"
	"time"

	"github.com/hackless/hackless/build/cache"
)

// Exit codes of a hackless run.
const (
	ExitOK          = 0   // every step passed
	ExitFailed      = 1   // a step failed
	ExitUsage       = 2   // usage or configuration error; no step ran
	ExitInterrupted = 130 // interrupted by SIGINT or SIGTERM, or the parent process went away
)

// Status is how a step ended.
type Status string

const (
	Passed  Status = "ok"
	Failed  Status = "FAIL"
	Skipped Status = "skipped"
)

// Result is the outcome of one step.
type Result struct {
	Step     string
	Status   Status
	Reason   string        `json:",omitempty"` // the error, or why the step was skipped
	Duration time.Duration // zero for a skipped step
	Findings []Finding     `json:",omitempty"`
	Changed  []string      `json:",omitempty"` // files written, in Update mode
	Fix      string        `json:",omitempty"` // the command that applies the proposed changes
	Notes    []string      `json:",omitempty"` // lines shown in every run (Pass.Notef)
	// Cached is true when the result, and Duration, come from the cache.
	Cached bool `json:",omitempty"`
	// Remote is true when the cached result came from the remote cache.
	Remote bool `json:",omitempty"`
	// CacheNote says why the step was not (entirely) cached.
	CacheNote string `json:",omitempty"`
	// Usage is true when the step failed on its configuration (a
	// UsageError), which makes the run exit 2.
	Usage bool        `json:",omitempty"`
	Cases []JUnitCase `json:"-"` // test cases for JUnit (Pass.AddTestCase)
	Log   string      `json:"-"`
	// Commands are the commands the step ran, whole (the log abbreviates
	// their file arguments).
	Commands []string `json:",omitempty"`
	// Reads are what the step read through its Pass (ReadFile, ReadDir,
	// Getenv) when it ran.
	Reads []cache.Read `json:"-"`

	notCached bool // Pass.NotCached: the pass is not stored
	// shadowFindings are a shadow step's findings, which fail nothing.
	shadowFindings []Finding
}

// Interrupted reports whether the step was stopped by an interruption
// before it finished (a Failed result whose Reason says so).
func (r *Result) Interrupted() bool { return r.Status == Failed && r.Reason == "interrupted" }

// Report is the outcome of a run.
type Report struct {
	Name        string // "verify", "update", "test", "build"; names the report files
	Mode        Mode
	Root        string
	Results     []*Result // in graph order
	Duration    time.Duration
	Interrupted bool
	// Warnings are problems of the run itself that failed no step, such
	// as a cache that could not be used.
	Warnings []string `json:",omitempty"`
	// Shadow says, for each built-in step run in shadow, whether it
	// agreed with the repository's own check (Options.Shadow).
	Shadow []ShadowResult `json:",omitempty"`
	// Command is the command prefix that runs a target of the repository
	// from its root, as fix hints name it: "go -C magefiles tool
	// hackless" where hackless has a module of its own (see
	// workspace.Command).
	Command string `json:",omitempty"`
}

// MageCommand is how a step's messages name the command that runs a
// target ("go tool mage update:tidy"); the run writes the repository's
// own command (Report.Command) in its place.
const MageCommand = "go tool mage"

// Count returns how many results have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// CountCached returns how many results came from the cache.
func (r *Report) CountCached() int {
	n := 0
	for _, res := range r.Results {
		if res.Cached {
			n++
		}
	}
	return n
}

// ExitCode returns the run's exit code.
func (r *Report) ExitCode() int {
	switch {
	case r.Interrupted:
		return ExitInterrupted
	case slices.ContainsFunc(r.Results, func(res *Result) bool { return res.Usage }):
		return ExitUsage
	case r.Count(Failed) > 0:
		return ExitFailed
	}
	return ExitOK
}

// ReportSchema is the version of the JSON report's format (Schema in
// _output/hackless/<run>.json). Version 2 gives durations in seconds.
const ReportSchema = 2

// MarshalJSON writes the report with its schema version and its duration
// in seconds, as the durations file and JUnit give them.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		Schema int
		*plain
		Duration float64
	}{ReportSchema, (*plain)(r), r.Duration.Seconds()})
}

// MarshalJSON writes the result with its duration in seconds.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		*plain
		Duration float64
	}{(*plain)(r), r.Duration.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(data []byte) error {
	type plain Result
	v := struct {
		*plain
		Duration float64
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	r.Duration = time.Duration(v.Duration * float64(time.Second))
	return nil
}

// MarshalJSON spells the mode as a word.
func (m Mode) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// JUnitCase is one testcase of a JUnit report.
type JUnitCase struct {
	XMLName   xml.Name      `xml:"testcase"`
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *JUnitMessage `xml:"failure,omitempty"`
	Skipped   *JUnitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitMessage is a failure or skip with its message and text.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// Result returns the result of the named step, or nil.
func (r *Report) Result(step string) *Result {
	for _, res := range r.Results {
		if res != nil && res.Step == step {
			return res
		}
	}
	return nil
}
