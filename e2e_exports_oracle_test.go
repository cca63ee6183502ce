package ksef_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsim"
)

// fetchParts downloads the encrypted parts of a package (plain HTTP GET on
// the pre-signed URLs) into dir and returns their paths in order.
func fetchParts(t testing.TB, dir string, pkg *ksef.InvoicePackage) []string {
	t.Helper()
	parts := slices.Clone(pkg.Parts)
	slices.SortFunc(parts, func(a, b ksef.InvoicePackagePart) int { return int(a.OrdinalNumber - b.OrdinalNumber) })
	var paths []string
	for _, p := range parts {
		resp, err := http.Get(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("part %d: %d %v", p.OrdinalNumber, resp.StatusCode, err)
		}
		path := filepath.Join(dir, fmt.Sprintf("part-%03d.aes", p.OrdinalNumber))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// opensslDecrypt decrypts each part with `openssl enc -d -aes-256-cbc`
// under the export's key and IV and concatenates the plaintexts into out.
func opensslDecrypt(t testing.TB, openssl string, exp *ksef.Export, parts []string, out string) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(exp.SymmetricKey.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	iv, err := base64.StdEncoding.DecodeString(exp.InitializationVector)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range parts {
		cmd := exec.Command(openssl, "enc", "-d", "-aes-256-cbc", "-K", hex.EncodeToString(key), "-iv", hex.EncodeToString(iv), "-in", p)
		cmd.Stdout = f
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("openssl enc -d %s: %v %s", filepath.Base(p), err, stderr.String())
		}
	}
}

// TestExportOracle decrypts the simulator's export parts with `openssl enc
// -d`, joins them and unpacks the package with `unzip` or `tar`; the SDK's
// streaming path must yield the same files, byte for byte.
func TestExportOracle(t *testing.T) {
	openssl := testenv.RequireTool(t, "openssl")
	e := newExportEnv(t, 80, ksefsim.WithExportLimits(ksefsim.ExportLimits{PartSize: 6 << 10}))
	e.sendOne(t, e.seeded.SellerNIP)
	for _, ct := range []ksef.CompressionType{ksef.CompressionTypeZip, ksef.CompressionTypeTarGz} {
		t.Run(string(ct), func(t *testing.T) {
			unpacker := "unzip"
			if ct == ksef.CompressionTypeTarGz {
				unpacker = "tar"
			}
			tool := testenv.RequireTool(t, unpacker)
			ctx := t.Context()
			exp, err := e.a.Invoices.Export(ctx, &ksef.ExportParams{Filters: e.filters, CompressionType: ct})
			if err != nil {
				t.Fatal(err)
			}
			st, err := e.a.Invoices.WaitExport(ctx, exp.ReferenceNumber, fastWait)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Package.Parts) < 2 {
				t.Fatalf("%d parts, want several", len(st.Package.Parts))
			}
			work := t.TempDir()
			parts := fetchParts(t, work, st.Package)
			joined := filepath.Join(work, "package")
			opensslDecrypt(t, openssl, exp, parts, joined)
			oracleDir := filepath.Join(work, "oracle")
			if err := os.Mkdir(oracleDir, 0o700); err != nil {
				t.Fatal(err)
			}
			var cmd *exec.Cmd
			if ct == ksef.CompressionTypeZip {
				cmd = exec.Command(tool, "-q", joined, "-d", oracleDir)
			} else {
				cmd = exec.Command(tool, "-xzf", joined, "-C", oracleDir)
			}
			if out, err := testenv.Output(cmd); err != nil {
				t.Fatalf("%s: %v %s", unpacker, err, out)
			}
			sdkDir := filepath.Join(work, "sdk")
			if err := os.Mkdir(sdkDir, 0o700); err != nil {
				t.Fatal(err)
			}
			res, err := e.a.Invoices.DownloadExport(ctx, exp, st, &ksef.ExportDownloadOptions{Dir: sdkDir, TempDir: work})
			if err != nil {
				t.Fatal(err)
			}
			want := dirDigest(t, oracleDir)
			got := dirDigest(t, sdkDir)
			if len(want) != 82 || res.Invoices != 81 { // 81 invoices and _metadata.json
				t.Errorf("oracle unpacked %d files, SDK %d invoices", len(want), res.Invoices)
			}
			for name, h := range want {
				if got[name] != h {
					t.Errorf("%s: SDK copy differs from the openssl+%s one", name, unpacker)
				}
			}
			if len(got) != len(want) {
				t.Errorf("SDK wrote %d files, oracle %d", len(got), len(want))
			}
			sent, err := os.ReadFile(filepath.Join(oracleDir, e.sentNum+".xml"))
			if err != nil || !bytes.Equal(sent, e.sentDoc) {
				t.Errorf("the oracle's copy of the sent invoice differs: %v", err)
			}
		})
	}
}

// dirDigest maps every file name in dir to the hex SHA-256 of its content.
func dirDigest(t testing.TB, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}
