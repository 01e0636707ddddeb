// Command run measures logcause against GoAccess, lnav and pt-query-digest
// on the same generated logs, side by side, and prints a Markdown report:
// the machine, the tools' versions, the load average, one table of wall
// time, CPU time and peak RSS (GNU time's -v) with rates and ratios, and
// issue #14's targets met or not.
//
//	go run ./bench/run                      # 1 GB logs, best of 3 rounds
//	go run ./bench/run -size 100MB -rounds 1 # a quick look
//
// It installs the tools it compares from Debian when they are missing
// (apt-get install goaccess lnav percona-toolkit time; root needed), builds
// logcause from this checkout, writes the logs with package loggen (kept
// in -dir between runs, rewritten when -seed, -size, -errors, -queries or
// -days change), then runs every command of an input once per round, the
// order rotated each round, each just after reading the files it reads,
// so that the page cache holds them (see warm). It
// refuses to measure when the machine's 1-minute load average is above
// -max-load (other work would be measured too), unless -force is given; the
// report prints the load average before and after.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/bench/loggen"
)

// Names of the commands in the table, which Targets looks up.
const (
	lnavName     = "lnav -n -c ';SELECT count(*) FROM access_log'"
	goaccessName = "goaccess --log-format=COMBINED -o report.json"
	ptName       = "pt-query-digest --limit 100%"
	gzName       = "logcause analyze (access.log.gz)"
)

// inputs are the inputs -inputs may name.
var inputs = []string{"access", "clients", "outage", "rotated", "mysql8", "mariadb"}

type options struct {
	dir, size, cases, out string
	seed                  uint64
	errors                int64
	queries, rounds, days int
	maxLoad               float64
	force, install        bool
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "/var/tmp/logcause-bench", "directory for the logs, the logcause binary and the tools' outputs")
	flag.StringVar(&o.size, "size", "1GB", "size of each access log (1GB, 250MB, 100MB or bytes)")
	flag.Uint64Var(&o.seed, "seed", 1, "the generator's seed")
	flag.Int64Var(&o.errors, "errors", -1, "gateway errors in the outage logs (default: 320,000 per GB of -size)")
	flag.IntVar(&o.queries, "queries", 300_000, "entries of each slow query log")
	flag.IntVar(&o.days, "days", loggen.DefaultDays, "days of the rotated access logs (their bytes: -size in all)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds: each command's best wall time of them is reported")
	flag.StringVar(&o.cases, "inputs", strings.Join(inputs, ","), "inputs to measure, comma-separated")
	flag.Float64Var(&o.maxLoad, "max-load", 0.5, "refuse to measure while the 1-minute load average is above this")
	flag.BoolVar(&o.force, "force", false, "measure even on a busy machine (the report shows the load average)")
	flag.BoolVar(&o.install, "install", true, "apt-get install the tools that are missing")
	flag.StringVar(&o.out, "o", "", "also write the report to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	bytesWanted, err := loggen.ParseSize(o.size)
	if err != nil {
		return err
	}
	if o.errors < 0 {
		o.errors = loggen.DefaultErrors(bytesWanted)
	}
	if o.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	if o.days < 1 {
		return errors.New("-days must be at least 1")
	}
	for _, in := range strings.Split(o.cases, ",") {
		if !slices.Contains(inputs, strings.TrimSpace(in)) {
			return fmt.Errorf("no input %q: -inputs takes some of %s", in, strings.Join(inputs, ","))
		}
	}
	before, err := readLoad()
	if err != nil {
		return err
	}
	if before[0] > o.maxLoad && !o.force {
		return fmt.Errorf("the machine is busy (load average %.2f %.2f %.2f, above -max-load %.2f): the figures would measure the other work too; rerun when `uptime` shows less, or pass -force (the report then shows the load)", before[0], before[1], before[2], o.maxLoad)
	}
	if err := tools(o.install); err != nil {
		return err
	}
	for _, d := range []string{"bin", "out", "home", "empty-config-root"} {
		if err := os.MkdirAll(filepath.Join(o.dir, d), 0o755); err != nil {
			return fmt.Errorf("cannot create %s: %w", o.dir, err)
		}
	}
	logcause := filepath.Join(o.dir, "bin", "logcause")
	rev := builtFrom() // now: a commit made while the rounds run is not what they measure
	say("building logcause")
	if err := command("go", "build", "-o", logcause, "./cmd/logcause").Run(); err != nil {
		return fmt.Errorf("cannot build logcause: %w (run from the repository's checkout)", err)
	}
	logs := filepath.Join(o.dir, "logs")
	set := loggen.Set{Seed: o.seed, Bytes: bytesWanted, Errors: o.errors, Queries: o.queries, Days: o.days}
	m, err := loggen.ReadManifest(logs)
	if err != nil || m.Set != set {
		say("writing the logs to " + logs)
		if m, err = loggen.WriteSet(logs, set, func(p string, st loggen.Stats) { say(fmt.Sprintf("  %s: %d bytes, %d lines", p, st.Bytes, st.Lines)) }); err != nil {
			return err
		}
		os.Remove(filepath.Join(logs, loggen.AccessFile+".gz"))
	}
	if err := gzipOnce(filepath.Join(logs, loggen.AccessFile)); err != nil {
		return err
	}
	cases, checks := plan(o, logcause, logs, m)
	results := make([]Result, len(cases))
	for i, c := range cases {
		results[i].Case = c
	}
	for round := range o.rounds {
		for _, group := range groups(cases) {
			n := len(group)
			for k := range n {
				i := group[(k+round)%n] // each round starts with another command
				say(fmt.Sprintf("round %d/%d: %s: %s", round+1, o.rounds, cases[i].Group, cases[i].Name))
				if err := warm(filepath.Join(logs, cases[i].Reads)); err != nil {
					return err
				}
				u, err := measure(o.dir, logs, cases[i])
				if err != nil {
					return err
				}
				results[i].Runs = append(results[i].Runs, u)
			}
		}
	}
	after, _ := readLoad()
	notes := checks()
	var rep strings.Builder
	fmt.Fprintf(&rep, "Measured %s UTC by `go run ./bench/run %s` (best of %d rounds; CPU = user + system of that run; peak RSS = the highest of the rounds).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04"), strings.Join(os.Args[1:], " "), o.rounds)
	fmt.Fprintf(&rep, "Load average before: %.2f %.2f %.2f; after: %.2f %.2f %.2f.", before[0], before[1], before[2], after[0], after[1], after[2])
	if before[0] > o.maxLoad || after[0] > o.maxLoad+1 { // the runner itself adds ~1 on a 2-core machine
		rep.WriteString(" **The machine was busy: other work was measured too.**")
	}
	rep.WriteString("\n\n")
	rep.WriteString(machine(logcause, rev))
	rep.WriteString("\n" + Table(results) + "\n")
	if bytesWanted != 1_000_000_000 || o.queries != 300_000 {
		fmt.Fprintf(&rep, "The targets are for 1 GB access logs and 300 k-query slow logs; these were %s and %d queries.\n\n", o.size, o.queries)
	}
	rep.WriteString(TargetTable(Targets(results, notes)))
	fmt.Print(rep.String())
	if o.out != "" {
		return os.WriteFile(o.out, []byte(rep.String()), 0o644)
	}
	return nil
}

func say(s string) { fmt.Fprintln(os.Stderr, "run:", s) }

func command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	return c
}

func readLoad() ([3]float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return [3]float64{}, fmt.Errorf("cannot read the load average: %w", err)
	}
	return loadAverage(string(b))
}

// tools installs the compared tools from Debian when they are missing.
func tools(install bool) error {
	var missing []string
	for _, t := range []struct{ bin, pkg string }{{"goaccess", "goaccess"}, {"lnav", "lnav"}, {"pt-query-digest", "percona-toolkit"}, {"/usr/bin/time", "time"}} {
		if _, err := exec.LookPath(t.bin); err != nil {
			missing = append(missing, t.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if !install {
		return fmt.Errorf("missing %s: apt-get install %s (or run without -install=false)", strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	say("installing " + strings.Join(missing, " "))
	c := command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, missing...)...)
	c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if err := c.Run(); err != nil {
		return fmt.Errorf("cannot install %s: %w (as root: apt-get update, then apt-get install %s)", strings.Join(missing, ", "), err, strings.Join(missing, " "))
	}
	return nil
}

// gzipOnce writes path.gz beside path unless it exists.
func gzipOnce(path string) error {
	if _, err := os.Stat(path + ".gz"); err == nil {
		return nil
	}
	say("compressing " + path)
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".gz.tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		out.Close()
		return fmt.Errorf("cannot compress %s: %w", path, err)
	}
	if err := errors.Join(zw.Close(), out.Close()); err != nil {
		return fmt.Errorf("cannot compress %s: %w", path, err)
	}
	return os.Rename(tmp, path+".gz")
}

// warm reads every log under path (a file or a directory) once, just
// before a command that reads them, so that no command pays for the disk.
// Once before the first round is not enough: a kernel may page out the
// page cache a minute idle (this project's machine runs DAMON's proactive
// reclaim, which does), and a round takes minutes (GoAccess alone takes
// more than one), so a log read once at the start was read from the disk,
// in part, by the commands of the later rounds.
func warm(path string) error {
	return filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(io.Discard, f)
		return err
	})
}

// groups returns the indexes of the cases of each input, in order.
func groups(cases []Case) [][]int {
	var out [][]int
	at := map[string]int{}
	for i, c := range cases {
		g, ok := at[c.Group]
		if !ok {
			g = len(out)
			at[c.Group] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}

// measure runs one case under /usr/bin/time -v, in the logs' directory.
func measure(dir, logs string, c Case) (Usage, error) {
	timeFile := filepath.Join(dir, "out", "time.txt")
	errFile, err := os.Create(filepath.Join(dir, "out", "stderr.txt"))
	if err != nil {
		return Usage{}, err
	}
	defer errFile.Close()
	// A file, never an io.Writer: exec would copy through a pipe, in this
	// process, on the measured machine.
	stdout, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if c.Out != "" {
		stdout, err = os.Create(filepath.Join(dir, "out", c.Out))
	}
	if err != nil {
		return Usage{}, err
	}
	defer stdout.Close()
	cmd := exec.Command("/usr/bin/time", append([]string{"-v", "-o", timeFile}, c.Args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = logs, stdout, errFile
	cmd.Env = append(os.Environ(), c.Env...)
	began := time.Now()
	runErr := cmd.Run()
	wall := time.Since(began)
	report, err := os.ReadFile(timeFile)
	if err != nil {
		return Usage{}, fmt.Errorf("%s: %w (%v)", c.Name, err, runErr)
	}
	u, err := parseTimeV(string(report))
	if err != nil {
		return u, fmt.Errorf("%s: %w", c.Name, err)
	}
	u.Wall = wall // time -v's elapsed time has 10 ms steps
	if u.Exit != 0 {
		msg, _ := os.ReadFile(errFile.Name())
		return u, fmt.Errorf("%s exited with status %d: %s", strings.Join(c.Args, " "), u.Exit, tail(msg))
	}
	if c.Check != nil {
		var out []byte
		if c.Out != "" {
			if out, err = os.ReadFile(filepath.Join(dir, "out", c.Out)); err != nil {
				return u, err
			}
		}
		if err := c.Check(out); err != nil {
			return u, fmt.Errorf("%s did not do the work measured: %w", c.Name, err)
		}
	}
	return u, nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// commas writes n as logcause's report does (1,234,567).
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func contains(want string) func([]byte) error {
	return func(out []byte) error {
		if !bytes.Contains(out, []byte(want)) {
			return fmt.Errorf("its output does not say %q", want)
		}
		return nil
	}
}

// outageFound checks that the outage's report found the incidents the
// generator planned, in order, each with the cause it meant.
func outageFound(planned []loggen.Incident) func([]byte) error {
	return func(out []byte) error {
		if err := contains(fmt.Sprintf("%d incidents of 502/504 responses found.", len(planned)))(out); err != nil {
			return err
		}
		for i, p := range planned {
			want := fmt.Sprintf("Root cause:  %s ", p.Cause)
			_, rest, _ := bytes.Cut(out, fmt.Appendf(nil, "INCIDENT %d ", i+1))
			rest, _, _ = bytes.Cut(rest, []byte("\nINCIDENT "))
			if !bytes.Contains(rest, []byte(want)) {
				return fmt.Errorf("its incident %d is not told with the cause the generator meant (%q)", i+1, want)
			}
		}
		return nil
	}
}

// plan returns the cases to measure, and a function that compares the
// slow-log digests with pt-query-digest's after the runs.
func plan(o options, logcause, logs string, m loggen.Manifest) ([]Case, func() map[string]Check) {
	root := filepath.Join(o.dir, "empty-config-root") // no server config of this machine read
	analyze := func(args ...string) []string {
		return append([]string{logcause, "analyze", "--config-root", root}, args...)
	}
	outDir := filepath.Join(o.dir, "out")
	want := map[string]bool{}
	for _, c := range strings.Split(o.cases, ",") {
		want[strings.TrimSpace(c)] = true
	}
	var cases []Case
	mb := func(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/1e6) }
	accessCases := func(group, file, label string) {
		st := m.Files[file]
		input := fmt.Sprintf("`%s` (%s, %s lines, %s)", file, mb(st.Bytes), si(float64(st.Lines)), label)
		requests := contains(commas(st.Lines) + " requests")
		cases = append(cases,
			Case{Group: group, Input: input, Name: "logcause analyze", Ref: true, Args: analyze(file), Reads: file, Items: st.Lines, Unit: "lines", Out: group + "-analyze.txt", Check: requests},
			Case{Group: group, Input: input, Name: "logcause parse", Args: []string{logcause, "parse", file}, Reads: file, Items: st.Lines, Unit: "lines"},
			Case{Group: group, Input: input, Name: lnavName, Args: []string{"lnav", "-n", "-c", ";SELECT count(*) FROM access_log", file}, Reads: file,
				Env: []string{"HOME=" + filepath.Join(o.dir, "home")}, Items: st.Lines, Unit: "lines", Out: group + "-lnav.txt", Check: lnavCount(st.Lines)},
		)
		if group == "access" {
			report := filepath.Join(outDir, "goaccess.json")
			cases = append(cases,
				Case{Group: group, Input: input, Name: gzName, Args: analyze(file + ".gz"), Reads: file + ".gz", Items: st.Lines, Unit: "lines", Out: "gz-analyze.txt", Check: requests},
				Case{Group: group, Input: input, Name: goaccessName, Args: []string{"goaccess", file, "--log-format=COMBINED", "--no-progress", "-o", report}, Reads: file,
					Items: st.Lines, Unit: "lines", Check: func([]byte) error { return goaccessCount(report, st.Lines) }})
		}
	}
	if want["access"] {
		accessCases("access", loggen.AccessFile, "~5 k clients")
	}
	if want["clients"] {
		accessCases("clients", loggen.ClientsFile, "~2 M clients")
	}
	if want["outage"] {
		st := m.Files[filepath.Join(loggen.OutageDir, "access.log")]
		planned := loggen.Outage{Access: loggen.Access{Bytes: m.Set.Bytes}, Errors: m.Set.Errors}.Plan()
		input := fmt.Sprintf("`outage/` (access %s with %s gateway errors in %d incidents; error and php-fpm logs: %s lines)", mb(st.Bytes), si(float64(st.GatewayErrors)), len(planned), si(float64(st.Records)))
		check := outageFound(planned)
		cases = append(cases, Case{Group: "outage", Input: input, Name: "logcause analyze", Ref: true, Args: analyze(loggen.OutageDir), Reads: loggen.OutageDir,
			Items: st.Lines + st.Records, Unit: "lines", Out: "outage-analyze.txt", Check: check})
	}
	if want["rotated"] {
		st := m.Files[loggen.RotatedDir]
		names := loggen.Rotated{Days: m.Set.Days}.Files()
		days := len(names)
		if days > 4 {
			names = append(names[:3:3], "…", names[days-1])
		}
		input := fmt.Sprintf("`rotated/` (%d days: %s; %s, %s lines, %s on disk)", days, strings.Join(names, ", "), mb(st.Bytes), si(float64(st.Lines)), mb(st.Disk))
		cases = append(cases, Case{Group: "rotated", Input: input, Name: "logcause analyze", Ref: true, Args: analyze(loggen.RotatedDir), Reads: loggen.RotatedDir,
			Items: st.Lines, Unit: "lines", Out: "rotated-analyze.txt", Check: contains(commas(st.Lines) + " requests")})
	}
	for _, s := range []struct{ group, file, label string }{{"mysql8", loggen.MySQLSlowFile, "MySQL 8"}, {"mariadb", loggen.MariaSlowFile, "MariaDB 10.11"}} {
		if !want[s.group] {
			continue
		}
		st := m.Files[s.file]
		input := fmt.Sprintf("`%s` (%s, %s, %s queries)", s.file, s.label, mb(st.Bytes), si(float64(st.Records)))
		cases = append(cases,
			Case{Group: s.group, Input: input, Name: "logcause analyze", Ref: true, Args: analyze("--format", "json", s.file), Reads: s.file, Items: st.Records, Unit: "queries", Out: s.group + "-analyze.json"},
			Case{Group: s.group, Input: input, Name: "logcause parse", Args: []string{logcause, "parse", s.file}, Reads: s.file, Items: st.Records, Unit: "queries"},
			Case{Group: s.group, Input: input, Name: ptName, Args: []string{"pt-query-digest", "--limit", "100%", s.file}, Reads: s.file, Items: st.Records, Unit: "queries", Out: s.group + "-pt.txt"},
		)
	}
	checks := func() map[string]Check {
		notes := map[string]Check{}
		for _, g := range []string{"mysql8", "mariadb"} {
			if !want[g] {
				continue
			}
			lc, err1 := os.ReadFile(filepath.Join(outDir, g+"-analyze.json"))
			pt, err2 := os.ReadFile(filepath.Join(outDir, g+"-pt.txt"))
			if err := errors.Join(err1, err2); err != nil {
				notes["slow-"+g] = Check{Said: err.Error()}
				continue
			}
			notes["slow-"+g] = compareDigests(lc, pt)
		}
		return notes
	}
	return cases, checks
}

// lnavCount checks the count lnav printed.
func lnavCount(lines int64) func([]byte) error {
	return func(out []byte) error {
		f := strings.Fields(string(out))
		if len(f) == 0 || f[len(f)-1] != strconv.FormatInt(lines, 10) {
			return fmt.Errorf("lnav counted %q, the log has %d lines", out, lines)
		}
		return nil
	}
}

// goaccessCount checks GoAccess's JSON report's totals.
func goaccessCount(report string, lines int64) error {
	b, err := os.ReadFile(report)
	if err != nil {
		return err
	}
	var r struct {
		General struct {
			Total  int64 `json:"total_requests"`
			Failed int64 `json:"failed_requests"`
		} `json:"general"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("cannot read GoAccess's report: %w", err)
	}
	if r.General.Total != lines || r.General.Failed != 0 {
		return fmt.Errorf("GoAccess read %d requests (%d failed), the log has %d", r.General.Total, r.General.Failed, lines)
	}
	return nil
}

var (
	ptUnique = regexp.MustCompile(`(?m)^# Overall: .* total, (\d+) unique`)
	ptClass  = regexp.MustCompile(`(?m)^# +\d+ 0x([0-9A-F]+) +[\d.]+ +[\d.]+% +(\d+) `) // a row of the profile
)

// compareDigests compares logcause's digest (analyze --format json) with
// pt-query-digest's report: the number of classes, and the count of each
// class logcause lists (by total time; the JSON lists the first 20 and
// counts the others) against the count in pt-query-digest's profile, matched
// by id (logcause's is the last 16 hex digits of pt-query-digest 3's).
func compareDigests(lcJSON, ptText []byte) Check {
	var lc struct {
		Slow []struct {
			ID    string `json:"query_id"`
			Count int64  `json:"count"`
		} `json:"slow_queries"`
		More int `json:"slow_queries_more"`
	}
	if err := json.Unmarshal(lcJSON, &lc); err != nil {
		return Check{Said: "cannot read logcause's JSON: " + err.Error()}
	}
	u := ptUnique.FindSubmatch(ptText)
	if u == nil {
		return Check{Said: "no `# Overall` line in pt-query-digest's report"}
	}
	ptClasses, _ := strconv.Atoi(string(u[1]))
	counts := map[string]int64{}
	for _, c := range ptClass.FindAllSubmatch(ptText, -1) {
		id := string(c[1])
		n, _ := strconv.ParseInt(string(c[2]), 10, 64)
		counts[id[max(0, len(id)-16):]] = n
	}
	classes := len(lc.Slow) + lc.More
	missing, differ := 0, 0
	for _, c := range lc.Slow {
		n, ok := counts[c.ID]
		switch {
		case !ok:
			missing++
		case n != c.Count:
			differ++
		}
	}
	said := fmt.Sprintf("%d classes (pt-query-digest: %d); of the %d listed, %d with an id pt-query-digest has not, %d with another count", classes, ptClasses, len(lc.Slow), missing, differ)
	return Check{OK: classes == ptClasses && missing == 0 && differ == 0 && len(lc.Slow) > 0, Said: said}
}

// caches describes the CPU's caches as the kernel lists them for its first
// core (dir: /sys/devices/system/cpu/cpu0/cache), as "L1d 32K, L1i 64K, L2
// 512K, L3 8192K (shared by 2)": two machines that both say "AMD EPYC, 2
// cores" ran the outage day a third apart, the one with a quarter of the
// other's L3 the slower (docs/benchmarks.md, "Run at session 17"); "?"
// when the kernel lists none.
func caches(dir fs.FS) string {
	idx, _ := fs.Glob(dir, "index*")
	var out []string
	for _, d := range idx {
		read := func(name string) string {
			b, err := fs.ReadFile(dir, d+"/"+name)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		level, typ, size := read("level"), read("type"), read("size")
		if level == "" || size == "" {
			continue
		}
		name := "L" + level
		switch typ {
		case "Data":
			name += "d"
		case "Instruction":
			name += "i"
		}
		c := name + " " + size
		if n := sharedBy(read("shared_cpu_list")); n > 1 {
			c += fmt.Sprintf(" (shared by %d)", n)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return "?"
	}
	return strings.Join(out, ", ")
}

// sharedBy counts the CPUs of a kernel CPU list ("0-1,4,6-7": 5).
func sharedBy(list string) int {
	n := 0
	for r := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err1 := strconv.Atoi(lo)
		if !isRange {
			hi = lo
		}
		b, err2 := strconv.Atoi(hi)
		if err1 == nil && err2 == nil && b >= a {
			n += b - a + 1
		}
	}
	return n
}

// builtFrom names the checkout logcause is built from: its commit, and
// "+ changes not committed" when its tracked files differ from it.
func builtFrom() string {
	rev := firstLine("git", "rev-parse", "--short", "HEAD")
	if changed := firstLine("git", "status", "--porcelain", "--untracked-files=no"); rev != "?" && changed != "" && changed != "?" {
		rev += " + changes not committed"
	}
	return rev
}

// firstLine is the first line a command prints (stdout and stderr), "?"
// when it fails.
func firstLine(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "?"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

// machine describes the machine and the tools' versions; rev is the
// commit logcause was built from (builtFrom).
func machine(logcause, rev string) string {
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		mem = fmt.Sprintf("%.1f GB", float64(kb)/1e6*1.024)
	}
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	osName := "?"
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		if m := regexp.MustCompile(`(?m)^PRETTY_NAME="(.*)"`).FindSubmatch(b); m != nil {
			osName = string(m[1])
		}
	}
	deb := func(pkg string) string {
		return "Debian package " + pkg + " " + firstLine("dpkg-query", "-W", "-f=${Version}", pkg)
	}
	return fmt.Sprintf(`| machine | |
|---|---|
| CPU | %s, %s cores |
| caches | %s |
| memory | %s |
| system | %s, kernel %s |
| logcause | %s, commit %s |
| lnav | %s (%s) |
| GoAccess | %s (%s) |
| pt-query-digest | %s (%s) |
| /usr/bin/time | %s |
`, cpu, firstLine("nproc"), caches(os.DirFS("/sys/devices/system/cpu/cpu0/cache")), mem, osName, firstLine("uname", "-r"), firstLine(logcause, "version"), rev,
		firstLine("lnav", "-V"), deb("lnav"), firstLine("goaccess", "-V"), deb("goaccess"), firstLine("pt-query-digest", "--version"), deb("percona-toolkit"), deb("time"))
}
