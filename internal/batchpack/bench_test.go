package batchpack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/internal/testenv"
)

// The benchmark of this file packs at least 1 GiB of FA(3) invoice XML
// (KSEF_BENCH_PACK_MIB, default 1024) and prints, from one run:
//
//   - stored ZIP against `openssl enc -aes-256-cbc` over the same bytes
//     (goal ≥ 0.8);
//   - default compression against the shell pipeline `zip -1`, then
//     `sha256sum`, `openssl enc -aes-256-cbc` and `sha256sum` (goal ≥ 1.5);
//   - the peak RSS of a child process packing 100 MiB and the full size
//     (goal: flat, ≤ 64 MiB).
//
// Run: go test -run '^$' -bench Packer -benchtime 1x ./internal/batchpack/
// (or scripts/bench-batchpack.sh). The invoices are generated once into
// $TMPDIR/ksef-batchpack-bench-<MiB> and reused by later runs.

// childEnv names the directory a re-executed test binary packs (see
// TestMain and packChild).
const childEnv = "KSEF_BATCHPACK_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(packChild(dir))
	}
	os.Exit(m.Run())
}

// childResult is what a child process reports on standard output.
type childResult struct {
	Invoices int
	Archive  int64
	Parts    int
	Seconds  float64
	HWM      int64 // VmHWM of /proc/self/status, bytes
	HeapSys  uint64
}

// vmHWM returns the peak resident set size of this process from
// /proc/self/status (VmHWM), in bytes, or 0.
func vmHWM() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// packChild packs every file of dir (the mode in KSEF_BATCHPACK_MODE:
// "zip", "zip-store", "targz") and prints a childResult as JSON.
func packChild(dir string) int {
	files, err := listInvoices(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	opts := modeOptions(os.Getenv("KSEF_BATCHPACK_MODE"))
	opts.Dir = os.Getenv("KSEF_BATCHPACK_OUT")
	opts.Workers, _ = strconv.Atoi(os.Getenv("KSEF_BATCHPACK_WORKERS"))
	start := time.Now()
	pkg, err := Pack(context.Background(), Files(files...), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pkg.Cleanup()
	if prof := os.Getenv("KSEF_BATCHPACK_HEAPPROF"); prof != "" {
		if f, err := os.Create(prof); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	json.NewEncoder(os.Stdout).Encode(childResult{
		Invoices: len(pkg.Invoices), Archive: pkg.Archive.Size, Parts: len(pkg.Parts),
		Seconds: time.Since(start).Seconds(), HWM: vmHWM(), HeapSys: heapSys(),
	})
	return 0
}

func modeOptions(mode string) Options {
	switch mode {
	case "zip-store":
		return Options{Compression: Store}
	case "targz":
		return Options{Format: TarGz}
	}
	return Options{}
}

func listInvoices(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".xml") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// fa3Generator varies the official-format FA(3) sample: the invoice
// number, the line items (cycled, renumbered, with new amounts and product
// names) and their count.
type fa3Generator struct {
	head, tail []byte
	rows       [][]byte
	words      []string
}

var (
	reRow    = regexp.MustCompile(`(?s)\s*<FaWiersz>.*?</FaWiersz>`)
	reP2     = regexp.MustCompile(`<P_2>[^<]*</P_2>`)
	reAmount = regexp.MustCompile(`>\d+\.\d\d<`)
	reNr     = regexp.MustCompile(`<NrWierszaFa>\d+</NrWierszaFa>`)
	reP7     = regexp.MustCompile(`(?s)<P_7>.*?</P_7>`)
	reWord   = regexp.MustCompile(`[A-Za-z]{3,}`)
)

func newFA3Generator(t testing.TB) *fa3Generator {
	sample, err := os.ReadFile(testenv.SpecFile(t, "samples/invoices/filled/invoice-fa-3-generated.xml"))
	if err != nil {
		t.Fatal(err)
	}
	locs := reRow.FindAllIndex(sample, -1)
	if len(locs) == 0 {
		t.Fatal("no FaWiersz in the FA(3) sample")
	}
	g := &fa3Generator{head: sample[:locs[0][0]], tail: sample[locs[len(locs)-1][1]:]}
	for _, l := range locs {
		row := sample[l[0]:l[1]]
		g.rows = append(g.rows, row)
		for _, p7 := range reP7.FindAll(row, -1) {
			for _, w := range reWord.FindAll(p7, -1) {
				g.words = append(g.words, string(w))
			}
		}
	}
	return g
}

// invoice returns invoice number i with about size bytes.
func (g *fa3Generator) invoice(i int, size int, r *rand.Rand) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.Write(reP2.ReplaceAll(g.head, fmt.Appendf(nil, "<P_2>FV/2026/11/%06d</P_2>", i)))
	for n := 1; b.Len() < size; n++ {
		row := g.rows[r.IntN(len(g.rows))]
		row = reNr.ReplaceAll(row, fmt.Appendf(nil, "<NrWierszaFa>%d</NrWierszaFa>", n))
		row = reAmount.ReplaceAllFunc(row, func([]byte) []byte {
			return fmt.Appendf(nil, ">%d.%02d<", r.IntN(20000), r.IntN(100))
		})
		var p7 bytes.Buffer
		p7.WriteString("<P_7>")
		for k := 3 + r.IntN(12); k > 0; k-- {
			p7.WriteString(g.words[r.IntN(len(g.words))])
			if k > 1 {
				p7.WriteByte(' ')
			}
		}
		p7.WriteString("</P_7>")
		row = reP7.ReplaceAll(row, p7.Bytes())
		b.Write(row)
	}
	b.Write(g.tail)
	return b.Bytes()
}

// benchData returns a directory with about mib MiB of FA(3) invoices in
// at most MaxInvoices files, and a file of all of them concatenated (the
// same bytes, for openssl). They are made once and kept for later runs.
func benchData(b *testing.B, mib int) (dir, concat string) {
	b.Helper()
	base := filepath.Join(os.TempDir(), "ksef-batchpack-bench-"+strconv.Itoa(mib))
	dir, concat = filepath.Join(base, "invoices"), filepath.Join(base, "all.xml")
	done := filepath.Join(base, "complete")
	if _, err := os.Stat(done); err == nil {
		return dir, concat
	}
	os.RemoveAll(base)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	g := newFA3Generator(b)
	total := int64(mib) << 20
	n := min(MaxInvoices, max(1, int(total/(100<<10))))
	avg := int(total / int64(n))
	r := rand.New(rand.NewPCG(uint64(mib), 7))
	cf, err := os.Create(concat)
	if err != nil {
		b.Fatal(err)
	}
	cw := bufio.NewWriter(cf)
	for i := range n {
		doc := g.invoice(i, avg/2+r.IntN(avg), r)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("FV-%05d.xml", i)), doc, 0o644); err != nil {
			b.Fatal(err)
		}
		cw.Write(doc)
	}
	if err := cw.Flush(); err != nil {
		b.Fatal(err)
	}
	cf.Close()
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, concat
}

func dirBytes(b *testing.B, files []string) int64 {
	var n int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// measurement is the best (shortest wall time) of several runs of a
// child process.
type measurement struct {
	wall, cpu time.Duration // elapsed; user+system of the process tree
	hwm       int64         // peak RSS reported by a packer child
}

// measure runs the command made by mk and returns its wall time, its CPU
// time (getrusage of the child and its waited-for children) and, for a
// packer child, the peak RSS it reported.
func measure(b *testing.B, mk func() *exec.Cmd) measurement {
	b.Helper()
	cmd := mk()
	start := time.Now()
	out, err := testenv.Output(cmd)
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v", cmd.Args[0], err)
	}
	m := measurement{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if cmd.Args[0] == os.Args[0] {
		var res childResult
		if err := json.Unmarshal(out, &res); err != nil || res.Invoices == 0 {
			b.Fatalf("child said %q: %v", out, err)
		}
		m.hwm = res.HWM
	}
	return m
}

func best(a, b measurement) measurement {
	if a.wall == 0 || b.wall < a.wall {
		return b
	}
	return a
}

// packCmd re-executes this test binary to pack dir in the given mode.
func packCmd(dir, mode, out string) func() *exec.Cmd {
	return func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, "KSEF_BATCHPACK_MODE="+mode, "KSEF_BATCHPACK_OUT="+out)
		return cmd
	}
}

// BenchmarkPacker measures the packer against its yardsticks in one run
// and prints the ratios and the peak memory; see the top of this file.
// Every contender runs as a child process (the packer in this test binary
// re-executed), timed from outside, best of KSEF_BENCH_PACK_ROUNDS (2).
func BenchmarkPacker(b *testing.B) {
	openssl := testenv.RequireTool(b, "openssl")
	zipTool := testenv.RequireTool(b, "zip")
	sha := testenv.RequireTool(b, "sha256sum")
	mib := 1024
	if v, err := strconv.Atoi(os.Getenv("KSEF_BENCH_PACK_MIB")); err == nil && v > 0 {
		mib = v
	}
	rounds := 2
	if v, err := strconv.Atoi(os.Getenv("KSEF_BENCH_PACK_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	dir, concat := benchData(b, mib)
	small, _ := benchData(b, 100)
	files, err := listInvoices(dir)
	if err != nil {
		b.Fatal(err)
	}
	size := dirBytes(b, files)
	out := b.TempDir()
	key, _ := envelope.NewKey()
	kHex, ivHex := hex.EncodeToString(key.Key[:]), hex.EncodeToString(key.IV[:])
	// Warm the page cache for both sides.
	if err := exec.Command("sh", "-c", "cat "+concat+" "+dir+"/*.xml >/dev/null").Run(); err != nil {
		b.Fatal(err)
	}
	encOut := filepath.Join(out, "enc")
	zipOut := filepath.Join(out, "a.zip")
	listFile := filepath.Join(out, "list")
	var list bytes.Buffer
	for _, f := range files {
		list.WriteString(filepath.Base(f) + "\n")
	}
	if err := os.WriteFile(listFile, list.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	sslCmd := func() *exec.Cmd {
		return exec.Command(openssl, "enc", "-aes-256-cbc", "-K", kHex, "-iv", ivHex, "-in", concat, "-out", encOut)
	}
	pipeCmd := func() *exec.Cmd {
		os.Remove(zipOut)
		script := fmt.Sprintf(`cd %q && %q -q -1 %q -@ < %q && %q %q >/dev/null && %q enc -aes-256-cbc -K %s -iv %s -in %q -out %q && %q %q >/dev/null`,
			dir, zipTool, zipOut, listFile, sha, zipOut, openssl, kHex, ivHex, zipOut, encOut, sha, encOut)
		return exec.Command("sh", "-c", script)
	}

	for range b.N {
		var store, ssl, zipd, pipe measurement
		for range rounds {
			store = best(store, measure(b, packCmd(dir, "zip-store", out)))
			ssl = best(ssl, measure(b, sslCmd))
			zipd = best(zipd, measure(b, packCmd(dir, "zip", out)))
			pipe = best(pipe, measure(b, pipeCmd))
		}
		tgz := measure(b, packCmd(dir, "targz", out))
		rssSmall := measure(b, packCmd(small, "zip", out)).hwm
		rssSmallStore := measure(b, packCmd(small, "zip-store", out)).hwm

		ratioA := ssl.wall.Seconds() / store.wall.Seconds()
		ratioB := pipe.wall.Seconds() / zipd.wall.Seconds()
		b.ReportMetric(ratioA, "store/openssl")
		b.ReportMetric(ratioB, "zip/pipeline")
		b.ReportMetric(float64(zipd.hwm)/(1<<20), "MiB-RSS")
		mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
		line := func(name string, m measurement) {
			fmt.Printf("  %-38s %7.2f s %7.1f MB/s   cpu %6.2f s", name, m.wall.Seconds(), mbps(m.wall), m.cpu.Seconds())
			if m.hwm > 0 {
				fmt.Printf("   peak RSS %5.1f MiB", float64(m.hwm)/(1<<20))
			}
			fmt.Println()
		}
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Printf("batchpack benchmark: %d invoices, %.1f MiB of FA(3) XML, %d CPUs, best of %d, loadavg %s",
			len(files), float64(size)/(1<<20), runtime.NumCPU(), rounds, load)
		line("packer, stored ZIP", store)
		line("openssl enc -aes-256-cbc", ssl)
		fmt.Printf("  ratio (a) openssl time / stored ZIP     %5.2f  (goal >= 0.8; by CPU time %.2f)\n", ratioA, ssl.cpu.Seconds()/store.cpu.Seconds())
		line("packer, deflate ZIP", zipd)
		line("zip -1, sha256sum, openssl, sha256sum", pipe)
		fmt.Printf("  ratio (b) pipeline time / deflate ZIP   %5.2f  (goal >= 1.5; by CPU time %.2f)\n", ratioB, pipe.cpu.Seconds()/zipd.cpu.Seconds())
		line("packer, deflate TarGz", tgz)
		fmt.Printf("  peak RSS, 100 MiB: deflate %.1f MiB, stored %.1f MiB; %d MiB: deflate %.1f MiB, stored %.1f MiB (goal: flat, <= 64 MiB)\n",
			float64(rssSmall)/(1<<20), float64(rssSmallStore)/(1<<20), mib, float64(zipd.hwm)/(1<<20), float64(store.hwm)/(1<<20))
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

func heapSys() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapSys
}

// BenchmarkPackFiles packs the 100 MiB data set in-process, b.N times
// (for profiling: -bench PackFiles -cpuprofile).
func BenchmarkPackFiles(b *testing.B) {
	dir, _ := benchData(b, 100)
	files, err := listInvoices(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(dirBytes(b, files))
	for _, mode := range []string{"zip-store", "zip", "targz"} {
		b.Run(mode, func(b *testing.B) {
			opts := modeOptions(mode)
			opts.Dir = b.TempDir()
			for b.Loop() {
				pkg, err := Pack(context.Background(), Files(files...), opts)
				if err != nil {
					b.Fatal(err)
				}
				pkg.Cleanup()
			}
		})
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }
