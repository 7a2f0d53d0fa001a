// Copyright The hackless Authors.
// SPDX-License-Identifier: Apache-2.0

package steps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hackless/hackless/build"
	"github.com/hackless/hackless/build/config"
	"github.com/hackless/hackless/build/workspace"
)

// A Script is a repository's own check script run as a step, unchanged:
// the way to bring hack/verify-*.sh into one graph before rewriting any of
// them. Declare one in a magefile,
//
//	targets.Register(steps.Script{Name: "shellcheck", Verify: "hack/verify-shellcheck.sh"}.Step())
//
// or under scripts in hackless.yaml (see config.Scripts), which can also
// discover every hack/verify-X.sh and hack/update-X.sh.
//
// In a verify run each script runs in a scratch copy of the working tree
// (uncommitted changes included, committed in the copy on top of the real
// HEAD, whose history it can read), so scripts that regenerate in place,
// git checkout or git worktree never touch the user's files and run side
// by side. Its output is kept; its `file:line:` lines and `ERROR:` lines
// become findings. In an update run the update script also runs in a
// copy, one script at a time, and what it changed there is written back
// to the tree as any step's changes are: atomically, and not over a file
// edited meanwhile.
type Script struct {
	// Name is the step's name.
	Name string
	// Doc is its one-line description; the default names the scripts.
	Doc string
	// Verify is the command that checks: a root-relative script path and
	// its arguments, separated by spaces (no shell quoting). Without it,
	// verify runs Update in a copy and reports what it would change.
	Verify string
	// Update is the command that fixes, in the same form.
	Update string
	// Reads lists root-relative path globs (** matching directories) of
	// the files the result depends on; the default is every file. The
	// scripts count whatever Reads says.
	Reads []string
	// Uncached says that the result depends on what no file describes
	// (the network, git history): the step always runs.
	Uncached bool
}

// Step returns the step that runs the script.
func (sc Script) Step() *build.Step {
	doc := sc.Doc
	if doc == "" {
		doc = "Runs " + strings.Join(nonEmpty(sc.Verify, sc.Update), " and ") + "."
	}
	reads := sc.Reads
	if len(reads) == 0 {
		reads = []string{"**/*"}
	}
	tools := []build.Tool{build.GoCommand, build.Git}
	for _, c := range nonEmpty(sc.Verify, sc.Update) {
		if pc := parseCommand(c); pc.isMake() {
			reads = append(reads, makefileOf(pc), "**/*.mk")
			if !slices.ContainsFunc(tools, func(t build.Tool) bool { return t.Name == "make" }) {
				tools = append(tools, makeTool)
			}
		} else {
			reads = append(reads, pc.prog)
		}
	}
	s := &build.Step{
		Name:     sc.Name,
		Doc:      doc,
		Inputs:   build.Inputs{Files: reads, Tools: tools, Ignored: true},
		Uncached: sc.Uncached,
		Validate: sc.validate,
	}
	if sc.Update != "" {
		s.Writes = []string{"*"}
	}
	s.Run = sc.run
	return s
}

// scriptCommand is a command of a script step, parsed: leading
// VAR=value words set the environment (PASSES="dep fmt" is not: no
// quoting), then the program, a root-relative script or make, and its
// arguments.
type scriptCommand struct {
	env  []string
	prog string // a root-relative script, or "make"
	args []string
}

func parseCommand(c string) scriptCommand {
	words := strings.Fields(c)
	var sc scriptCommand
	for len(words) > 1 && strings.Contains(words[0], "=") && !strings.ContainsAny(words[0][:strings.Index(words[0], "=")], "/.") {
		sc.env, words = append(sc.env, words[0]), words[1:]
	}
	if len(words) > 0 {
		sc.prog, sc.args = words[0], words[1:]
	}
	return sc
}

// isMake reports whether the command runs make, the machine's.
func (c scriptCommand) isMake() bool { return c.prog == "make" }

func nonEmpty(s ...string) []string {
	return slices.DeleteFunc(s, func(s string) bool { return s == "" })
}

// validate checks that each script exists, can be executed, and names an
// interpreter that exists; a script that hackless.yaml declares is
// reported at its line there.
func (sc Script) validate(ws *workspace.Workspace) error {
	err := sc.check(ws)
	if err == nil {
		return nil
	}
	for i, c := range ws.Config.Scripts.Steps {
		if c.Name == sc.Name {
			form := "verify"
			if c.Verify == "" {
				form = "update"
			}
			return fmt.Errorf("%s:%d: %w", config.File, ws.Config.Line("scripts", "steps", strconv.Itoa(i), form), err)
		}
	}
	return err
}

func (sc Script) check(ws *workspace.Workspace) error {
	if sc.Verify == "" && sc.Update == "" {
		return errors.New("a script step needs a verify or an update command")
	}
	for _, c := range nonEmpty(sc.Verify, sc.Update) {
		pc := parseCommand(c)
		if pc.isMake() {
			if _, err := ws.Env.LookPath("make"); err != nil {
				return fmt.Errorf("%s needs make, which this machine does not have: %w", c, err)
			}
			dir := path.Dir(makefileOf(pc))
			if !slices.ContainsFunc([]string{"GNUmakefile", "makefile", "Makefile"}, func(n string) bool {
				_, err := os.Stat(ws.Abs(path.Join(dir, n)))
				return err == nil
			}) {
				return fmt.Errorf("%s: no Makefile in %s", c, dir)
			}
			continue
		}
		script := pc.prog
		abs := ws.Abs(script)
		fi, err := os.Stat(abs)
		switch {
		case err != nil:
			return fmt.Errorf("%s: no such script", script)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a file", script)
		case fi.Mode()&0o111 == 0:
			return fmt.Errorf("%s is not executable: chmod +x %s (and commit it)", script, script)
		}
		interp, err := interpreter(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", script, err)
		}
		if interp != "" {
			if _, err := ws.Env.LookPath(interp); err != nil {
				return fmt.Errorf("%s needs %s, which this machine does not have: %w", script, interp, err)
			}
		}
	}
	return nil
}

// interpreter returns the program a script's #! line runs ("bash" for
// "#!/usr/bin/env bash", "/bin/sh" for "#!/bin/sh"), or "" for a binary.
func interpreter(abs string) (string, error) {
	f, err := os.Open(abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if !strings.HasPrefix(line, "#!") {
		if strings.HasPrefix(line, "\x7fELF") {
			return "", nil
		}
		return "", errors.New("has no #! line naming its interpreter")
	}
	words := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(words) == 0 {
		return "", errors.New("has an empty #! line")
	}
	if path.Base(words[0]) == "env" {
		for _, w := range words[1:] {
			if !strings.HasPrefix(w, "-") {
				return w, nil
			}
		}
		return "", errors.New("its #! line names no program after env")
	}
	return words[0], nil
}

func (sc Script) run(pass *build.Pass) error {
	command, proposes := sc.Verify, false
	if pass.Mode == build.Update || sc.Verify == "" {
		command, proposes = sc.Update, true
	}
	scratch, err := scratchCopy(pass)
	if err != nil {
		return err
	}
	defer removeScratch(scratch)
	if err := commitScratch(pass, scratch); err != nil {
		return err
	}
	var before map[string]bool
	if proposes {
		if before, err = scratchFiles(scratch); err != nil {
			return err
		}
	}
	work, err := scratchWork(pass, scratch)
	if err != nil {
		return err
	}
	goBin, err := pass.Env.LookPath("go")
	if err != nil {
		return err
	}
	pc := parseCommand(command)
	env := pass.Env.With(append([]string{"GOWORK=" + work, "PATH=" + filepath.Dir(goBin) + string(filepath.ListSeparator) + pathOf(pass.Env.Vars())}, pc.env...)...)
	script, prog := pc.prog, filepath.Join(scratch, filepath.FromSlash(pc.prog))
	if pc.isMake() {
		script, prog = makefileOf(pc), "make"
	}
	cmd := env.Command(pass.Context(), scratch, prog, pc.args...)
	pass.Logf("$ %s", command)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	if err := pass.Context().Err(); err != nil {
		return err
	}
	output := strings.ReplaceAll(out.String(), scratch+string(filepath.Separator), "")
	output = strings.ReplaceAll(output, scratch, ".")
	if output != "" {
		pass.Logf("%s", strings.TrimRight(output, "\n"))
	}
	if runErr != nil {
		var exit *exec.ExitError
		if !errors.As(runErr, &exit) {
			return fmt.Errorf("run %s: %w", command, runErr)
		}
		reportScript(pass, script, command, output, exit.ExitCode())
		if !proposes {
			pass.FixedByUpdate() // verify-X fails: update-X is the fix
		}
		return nil
	}
	if !proposes {
		pass.Notef("%s passed", command)
		return nil
	}
	return proposeScriptChanges(pass, scratch, before, command)
}

// makeTool is the machine's make, whose version keys a Make target's
// result.
var makeTool = build.Tool{Name: "make", Version: []string{"--version"}}

// makefileOf names the Makefile a make command reads, where its
// findings go when its output names no file.
func makefileOf(pc scriptCommand) string {
	dir := "."
	for i, a := range pc.args {
		if a == "-C" && i+1 < len(pc.args) {
			dir = pc.args[i+1]
		}
	}
	return path.Join(dir, "Makefile")
}

func pathOf(vars []string) string {
	for _, v := range slices.Backward(vars) {
		if p, ok := strings.CutPrefix(v, "PATH="); ok {
			return p
		}
	}
	return ""
}

// commitScratch commits the scratch copy's files on top of the real
// tree's HEAD, whose objects the copy borrows (git alternates): a script
// sees a clean git status, HEAD and its history, and can git worktree or
// git stash as in the real tree.
func commitScratch(pass *build.Pass, scratch string) error {
	git := func(dir string, args ...string) (string, error) {
		out, err := pass.Output(pass.Command(dir, "git", append([]string{"-c", "user.name=hackless", "-c", "user.email=hackless@localhost"}, args...)...))
		return strings.TrimSpace(string(out)), err
	}
	var parent []string
	root := pass.Workspace.Root
	if common, err := git(root, "rev-parse", "--git-common-dir"); err == nil {
		if !filepath.IsAbs(common) {
			common = filepath.Join(root, common)
		}
		if head, err := git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}"); err == nil && head != "" {
			alt := filepath.Join(scratch, ".git", "objects", "info", "alternates")
			if err := os.WriteFile(alt, []byte(filepath.Join(common, "objects")+"\n"), 0o644); err != nil {
				return err
			}
			parent = []string{"-p", head}
		}
	}
	tree, err := git(scratch, "write-tree")
	if err != nil {
		return err
	}
	commit, err := git(scratch, append([]string{"commit-tree", tree, "-m", "hackless: the working tree"}, parent...)...)
	if err != nil {
		return err
	}
	_, err = git(scratch, "update-ref", "HEAD", commit)
	return err
}

// scratchFiles lists the regular files of a scratch copy, .git aside.
func scratchFiles(scratch string) (map[string]bool, error) {
	files := make(map[string]bool)
	err := filepath.WalkDir(scratch, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(scratch, p)
			files[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return files, err
}

// proposeScriptChanges proposes what an update script changed in the
// copy: files it wrote, and files it removed.
func proposeScriptChanges(pass *build.Pass, scratch string, before map[string]bool, command string) error {
	after, err := scratchFiles(scratch)
	if err != nil {
		return err
	}
	var removed []string
	for rel := range before {
		if !after[rel] {
			removed = append(removed, rel)
		}
	}
	slices.Sort(removed)
	if len(removed) > maxRemovals && pass.Mode == build.Update && pass.Getenv("HACKLESS_ALLOW_REMOVALS") != "1" {
		return fmt.Errorf("%s would remove %d files, more than %d: nothing was written; look at `go tool mage verify -what=%s`, then run again with HACKLESS_ALLOW_REMOVALS=1 to let it", command, len(removed), maxRemovals, pass.Step.Name)
	}
	for _, rel := range removed {
		if err := pass.Unchanged(rel); err != nil {
			return err
		}
	}
	if err := proposeScratch(pass, scratch, command, nil); err != nil {
		return err
	}
	for _, rel := range removed {
		if err := pass.Remove(rel, command+": removed"); err != nil {
			return err
		}
	}
	return nil
}

var (
	// scriptFileLine is a line that starts with a position: file:line: or
	// file:line:col:.
	scriptFileLine = regexp.MustCompile(`^(?:\./)?([^\s:]+):(\d+):(?:(\d+):)?\s*(.*)$`)
	// scriptError is an error line: ERROR: …, FAILED: …, or kube::log's
	// "!!! [0102 15:04:05] …".
	scriptError = regexp.MustCompile(`^\s*(?:(?:ERROR|Error|FAIL|FAILED|FAILURE)\b:?|!!! \[[^]]*\])\s*(.*)$`)
)

// maxScriptFindings bounds the findings one script's output makes.
const maxScriptFindings = 50

// reportScript turns a failed script's output into findings: its
// file:line: lines naming a file of the tree, its error lines, and, when
// it printed neither, its last lines.
func reportScript(pass *build.Pass, script, command, output string, code int) {
	at := build.Position{File: script}
	n := 0
	for line := range strings.Lines(output) {
		line = strings.TrimRight(line, "\r\n")
		var f build.Finding
		if m := scriptFileLine.FindStringSubmatch(line); m != nil && fileInTree(pass, m[1]) {
			f.Pos = build.Position{File: path.Clean(m[1]), Line: atoi(m[2]), Col: atoi(m[3])}
			f.Message = m[4]
		} else if m := scriptError.FindStringSubmatch(line); m != nil && strings.TrimSpace(m[1]) != "" {
			f = build.Finding{Pos: at, Message: strings.TrimSpace(m[1])}
		} else {
			continue
		}
		if n++; n > maxScriptFindings {
			pass.Reportf(at, "%s printed more problems; mage -v shows its whole output", command)
			break
		}
		if f.Pos.File != script {
			f.Message = command + ": " + f.Message
		}
		pass.Report(f)
	}
	if n == 0 {
		pass.Report(build.Finding{
			Pos:     at,
			Message: fmt.Sprintf("%s failed (exit status %d); run it to see why", command, code),
			Detail:  lastLines(strings.TrimRight(output, "\n"), 20),
		})
	}
}

// fileInTree reports whether rel names a file of the tree.
func fileInTree(pass *build.Pass, rel string) bool {
	if filepath.IsAbs(rel) || strings.HasPrefix(path.Clean(rel), "..") {
		return false
	}
	fi, err := os.Stat(pass.Workspace.Abs(path.Clean(rel)))
	return err == nil && fi.Mode().IsRegular()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // "" (no column) is 0
	return n
}

// MakeSteps returns the steps of the Make targets hackless.yaml's make
// section names: make-<target>, which runs make [-C dir] [vars] target in
// a scratch copy of the tree, and whose update runs the target paired
// with it (MakeTarget.Update, else the Makefile's update-X, fix-X or
// generate, by name).
func MakeSteps(root string, cfg config.Make) []*build.Step {
	var out []*build.Step
	targets := makeTargets(filepath.Join(root, filepath.FromSlash(cfg.Dir)))
	for _, mt := range cfg.Targets {
		prefix := "make"
		if cfg.Dir != "" && path.Clean(cfg.Dir) != "." {
			prefix += " -C " + path.Clean(cfg.Dir)
		}
		for _, v := range mt.Vars {
			prefix += " " + v
		}
		update := mt.Update
		if update == "" {
			update = pairedTarget(mt.Target, targets)
		}
		sc := Script{Name: "make-" + mt.Target, Doc: "Runs make " + mt.Target + ".", Verify: prefix + " " + mt.Target, Reads: mt.Reads, Uncached: mt.Uncached}
		if update != "" {
			sc.Update = prefix + " " + update
		}
		out = append(out, sc.Step())
	}
	return out
}

// makeTargetRE matches a rule's targets in a Makefile.
var makeTargetRE = regexp.MustCompile(`(?m)^([A-Za-z0-9_./-]+(?:[ \t]+[A-Za-z0-9_./-]+)*)[ \t]*::?(?:[^=]|$)`)

// makeTargets lists the targets the Makefile in dir names in rules.
func makeTargets(dir string) []string {
	var out []string
	for _, n := range []string{"GNUmakefile", "makefile", "Makefile"} {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		for _, m := range makeTargetRE.FindAllStringSubmatch(string(data), -1) {
			out = append(out, strings.Fields(m[1])...)
		}
		break
	}
	return out
}

// pairedTarget is the target that fixes what target checks, by the
// names repositories give them: update-X for verify-X, fix-X for check-X,
// generate (or gen, codegen) for verify-gen; "" when the Makefile has
// none.
func pairedTarget(target string, targets []string) string {
	var candidates []string
	for _, p := range [][2]string{{"verify-", "update-"}, {"verify_", "update_"}, {"check-", "fix-"}, {"lint", "lint-fix"}} {
		if rest, ok := strings.CutPrefix(target, p[0]); ok {
			candidates = append(candidates, p[1]+rest)
		}
	}
	switch target {
	case "verify-gen", "verify-generate", "verify-codegen", "check-generate", "verify-generated":
		candidates = append(candidates, "generate", "gen", "codegen")
	case "verify-fmt", "verify-gofmt", "check-fmt":
		candidates = append(candidates, "fmt", "gofmt")
	case "verify-modules", "verify-mod", "verify-tidy":
		candidates = append(candidates, "tidy", "gotidy", "modules")
	}
	for _, c := range candidates {
		if slices.Contains(targets, c) {
			return c
		}
	}
	return ""
}

// ScriptSteps returns the script steps that a repository's configuration
// (hackless.yaml's scripts) declares and discovers, in the workspace at
// root. A discovery directory that does not exist, or two steps of one
// name, is an error.
func ScriptSteps(root string, cfg config.Scripts) ([]*build.Step, error) {
	var out []*build.Step
	names := make(map[string]bool)
	add := func(sc Script) error {
		if names[sc.Name] {
			return fmt.Errorf("%s: two scripts make the step %s", config.File, sc.Name)
		}
		names[sc.Name] = true
		out = append(out, sc.Step())
		return nil
	}
	for _, c := range cfg.Steps {
		if err := add(Script{Name: c.Name, Doc: c.Doc, Verify: c.Verify, Update: c.Update, Reads: c.Reads, Uncached: c.Uncached}); err != nil {
			return nil, err
		}
	}
	if len(cfg.Discover) == 0 {
		return out, nil
	}
	pairs := make(map[string]*Script)
	var order []string
	for _, d := range cfg.Discover {
		dir := path.Clean(filepath.ToSlash(d))
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return nil, fmt.Errorf("%s: scripts.discover: %w", config.File, err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".sh") || slices.ContainsFunc(cfg.Exclude, func(p string) bool {
				ok, _ := path.Match(p, name)
				return ok
			}) {
				continue
			}
			var form, x string
			for _, f := range []string{"verify", "update"} {
				for _, sep := range []string{"-", "_"} {
					if rest, ok := strings.CutPrefix(name, f+sep); ok {
						form, x = f, strings.TrimSuffix(rest, ".sh")
					}
				}
			}
			if form == "" {
				continue
			}
			key := dir + "/" + x
			sc := pairs[key]
			if sc == nil {
				sc = &Script{Name: path.Base(dir) + "-" + x}
				pairs[key] = sc
				order = append(order, key)
			}
			if form == "verify" {
				sc.Verify = dir + "/" + name
			} else {
				sc.Update = dir + "/" + name
			}
		}
	}
	slices.Sort(order)
	for _, x := range order {
		if err := add(*pairs[x]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
