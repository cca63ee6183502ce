// Package simcmd is the `ksef sim` command area: the KSeF simulator served
// over HTTP with a ready test identity.
package simcmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ksefsim"
)

// New is the `ksef sim` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "The local KSeF simulator",
	}
	cmd.AddCommand(newSimServeCmd(f))
	return cmd
}

// simInfo is what `ksef sim serve` prints once it listens.
type simInfo struct {
	BaseURL  string      `json:"baseUrl"`
	Identity simIdentity `json:"identity"`
	Login    string      `json:"loginCommand"`
	// SeededInvoices is the number of invoices put into the simulator
	// with --seed-invoices (sold by the test identity's NIP).
	SeededInvoices int `json:"seededInvoices,omitempty"`
}

// simIdentity is the ready test identity written by `ksef sim serve`.
type simIdentity struct {
	NIP         string `json:"nip"`
	CertFile    string `json:"certFile"`
	KeyFile     string `json:"keyFile"`
	Fingerprint string `json:"fingerprint"`
}

func newSimServeCmd(f *cli.Factory) *cobra.Command {
	var (
		addr, identityDir string
		delay             time.Duration
		noRateLimits      bool
		seed              int
		storageDelay      time.Duration
		partSize          int64
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the KSeF simulator and print its API base URL and a ready test identity",
		Long: `Run the stateful KSeF simulator until interrupted. It prints its API base URL
(http://ADDR/v2) and writes a test identity — a random NIP and a company seal
certificate for it — into --identity-dir, with the ` + "`ksef auth login`" + ` command
that logs in with it.`,
		Example: `  ksef sim serve --addr 127.0.0.1:8080
  ksef sim serve --addr 127.0.0.1:0 --identity-dir ./sim-identity -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []ksefsim.Option
			if delay > 0 {
				opts = append(opts, ksefsim.WithProcessingDelay(delay))
			}
			if noRateLimits {
				opts = append(opts, ksefsim.WithoutRateLimits())
			}
			if storageDelay > 0 {
				opts = append(opts, ksefsim.WithPermanentStorageDelay(storageDelay))
			}
			if partSize > 0 {
				opts = append(opts, ksefsim.WithExportLimits(ksefsim.ExportLimits{PartSize: partSize}))
			}
			if seed < 0 || seed > 1_000_000 {
				return fmt.Errorf("sim: --seed-invoices must be 0-1000000")
			}
			return serveSim(cmd.Context(), f, addr, identityDir, seed, opts...)
		},
	}
	cmd.Flags().DurationVar(&delay, "processing-delay", 0, "how long asynchronous operations stay in progress (e.g. 2s)")
	cmd.Flags().BoolVar(&noRateLimits, "no-rate-limits", false, "disable the published KSeF rate limits")
	cmd.Flags().IntVar(&seed, "seed-invoices", 0, "put N invoices sold by the test identity's NIP (over the last 30 days) into the simulator, to try queries and exports at scale")
	cmd.Flags().DurationVar(&storageDelay, "permanent-storage-delay", 0, "how long accepted invoices take to reach permanent storage (download 21165 and the HWM until then)")
	cmd.Flags().Int64Var(&partSize, "export-part-size", 0, "largest export package part in bytes (default 50 MB)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	cmd.Flags().StringVar(&identityDir, "identity-dir", "", "directory for the test identity's cert.pem and key.pem, restricted to its owner (0700; key.pem 0600) (default: a new temporary directory, removed when the simulator stops)")
	return cmd
}

func serveSim(ctx context.Context, f *cli.Factory, addr, dir string, seed int, opts ...ksefsim.Option) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sim: cannot listen on %s: %w", addr, err)
	}
	defer l.Close()
	opts = append(append([]ksefsim.Option{ksefsim.WithLogger(f.Logger())}, opts...), f.SimOptions...)
	sim := ksefsim.New(opts...)
	id, err := sim.NewTestIdentity()
	if err != nil {
		return err
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ksef-sim-identity-"); err != nil {
			return err
		}
		// The directory holds a private key and is of no use without
		// this simulator: remove it when the simulator stops.
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sim: cannot create --identity-dir: %w", err)
	} else if err := os.Chmod(dir, 0o700); err != nil {
		// It holds a private key: only its owner may list or enter it.
		return fmt.Errorf("sim: cannot restrict --identity-dir to its owner: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		return err
	}
	if seed > 0 {
		if _, err := sim.SeedInvoices(ksefsim.SeedParams{Count: seed, SellerNIP: id.NIP}); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
	}
	info := simInfo{
		SeededInvoices: seed,
		BaseURL:        ksefsim.BaseURL(l.Addr()),
		Identity: simIdentity{
			NIP:         id.NIP,
			CertFile:    filepath.Join(dir, "cert.pem"),
			KeyFile:     filepath.Join(dir, "key.pem"),
			Fingerprint: credentials.Fingerprint(id.Certificate),
		},
	}
	if err := os.WriteFile(info.Identity.CertFile, id.CertificatePEM(), 0o644); err != nil {
		return fmt.Errorf("sim: cannot write the test certificate: %w", err)
	}
	if err := atomicfile.Write(info.Identity.KeyFile, keyPEM, 0o600); err != nil {
		return fmt.Errorf("sim: cannot write the test key: %w", err)
	}
	info.Login = strings.Join([]string{"ksef auth login", "--base-url", shellQuote(info.BaseURL),
		"--cert", shellQuote(info.Identity.CertFile), "--key", shellQuote(info.Identity.KeyFile),
		"--nip", info.Identity.NIP}, " ")
	err = f.Emit(info, func(w io.Writer) {
		fmt.Fprintf(w, "KSeF simulator listening; API base URL: %s\n", info.BaseURL)
		fmt.Fprintf(w, "Test identity: NIP %s (company seal, ECDSA P-256)\n", info.Identity.NIP)
		if info.SeededInvoices > 0 {
			fmt.Fprintf(w, "Seeded %d invoices sold by NIP %s over the last 30 days\n", info.SeededInvoices, info.Identity.NIP)
		}
		fmt.Fprintf(w, "  certificate: %s\n  private key: %s\n", info.Identity.CertFile, info.Identity.KeyFile)
		fmt.Fprintf(w, "Log in with:\n  %s\n", info.Login)
		fmt.Fprintln(w, "Press Ctrl+C to stop.")
	})
	if err != nil {
		return err
	}
	if err := sim.Serve(ctx, l); err != nil && ctx.Err() == nil {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it contains special characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
