package mcpcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/synccmd"
	"github.com/ksef2/ksef/ksefsync/storeurl"
)

// OpenStore opens the local sync store at path for the server; nil until
// a store package is linked (see store_sqlite.go).
var OpenStore func(ctx context.Context, path string) (Store, io.Closer, error)

// New is the `ksef mcp` area.
func New(f *cli.Factory) *cobra.Command {
	var (
		httpAddr, storeSpec string
		readOnly            bool
	)
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve KSeF to AI assistants over the Model Context Protocol (stdio, or HTTP on loopback)",
		Long: `Serve the Model Context Protocol on stdin/stdout (or, with --http, streamable
HTTP on a loopback address) for an AI assistant, with the credentials of
--profile and the local store that ksef sync fills (--store).

Read tools answer from the store, never by asking KSeF per question:
search_invoices (party, NIP, dates, amounts, type, currency), get_invoice
(structured data), render_invoice (HTML or PDF), invoice_totals (per
counterparty and period), whats_new (since the last sync), get_upo (the UPO
of an invoice sent through this server: downloaded once, then kept).
Offline tools: validate_invoice, check_ksef_number, invoice_link (KOD I).

Write tools (send_invoice, correct_invoice, revoke_token) answer the first
call with a preview and a one-time confirmation token and do nothing else;
only a second call with that token (valid 10 minutes, for the same
arguments) sends. A read-only profile (--read-only, or ksef mcp read-only on)
has no write tools. Invoices are resources ksef://invoice/{ksefNumber}
(XML; .html appended for the rendered document); prompts cover common tasks.

Tool results and logs never contain tokens. To try it without KSeF, run
ksef mcp demo.

Example client configuration (Claude Desktop, VS Code and others):
  {"mcpServers": {"ksef": {"command": "ksef", "args": ["mcp", "--profile", "firma"]}}}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, closeStore, err := configFor(ctx, f, storeSpec, readOnly)
			if err != nil {
				return err
			}
			defer closeStore()
			srv := NewServer(cfg)
			if httpAddr != "" {
				l, err := listenLoopback(httpAddr)
				if err != nil {
					return err
				}
				fmt.Fprintf(f.SyncStderr(), "ksef mcp: serving streamable HTTP on http://%s/mcp\n", l.Addr())
				return ServeHTTP(ctx, srv, l)
			}
			err = srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(f.Stdin), Writer: nopWriteCloser{f.Stdout}})
			if errors.Is(err, context.Canceled) || errors.Is(err, mcp.ErrConnectionClosed) || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&httpAddr, "http", "", "serve streamable HTTP on this loopback address (e.g. 127.0.0.1:8765) instead of stdio")
	fl.StringVar(&storeSpec, "store", synccmd.DefaultStore, "the store ksef sync fills: sqlite:FILE or postgres://USER@HOST/DB")
	fl.BoolVar(&readOnly, "read-only", false, "offer no write tools (also set per profile with ksef mcp read-only on)")
	cmd.AddCommand(newReadOnlyCmd(f), newDemoCmd(f))
	return cli.SetTimeout(cmd, cli.NoTimeout)
}

// demoStoreName is the demo store's file name.
const demoStoreName = "ksef.db"

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// configDir returns the configuration directory of f.
func configDir(f *cli.Factory) (string, error) {
	st, err := f.Profiles()
	if err != nil {
		return "", err
	}
	return filepath.Dir(st.Path), nil
}

// configFor builds the server's configuration from the command line: the
// profile (logged in lazily, on the first tool that needs KSeF), the store
// and the read-only setting.
func configFor(ctx context.Context, f *cli.Factory, storeSpec string, readOnly bool) (Config, func(), error) {
	cfg := Config{Profile: f.Flags.Profile, Version: f.Version, Environment: f.Environment(), ReadOnly: readOnly}
	level := slog.LevelWarn
	if f.Flags.Verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(f.SyncStderr(), &slog.HandlerOptions{Level: level}))
	dir, err := configDir(f)
	if err != nil {
		return cfg, nil, err
	}
	if _, p, err := f.CurrentProfile(); err == nil {
		if env, err := ksef.ParseEnvironment(p.Environment); err == nil {
			cfg.Environment = env
		}
		if p.ContextType == "Nip" {
			cfg.NIP = p.ContextValue
		}
		var mu sync.Mutex // tool calls run concurrently; the Factory is not safe for that
		cfg.Client = func(context.Context) (*ksef.AuthenticatedClient, error) {
			mu.Lock()
			defer mu.Unlock()
			s, err := f.Session()
			if err != nil {
				return nil, err
			}
			return s.Client, nil
		}
	}
	settings, err := loadSettings(dir)
	if err != nil {
		return cfg, nil, err
	}
	if settings.ReadOnly[f.Flags.Profile] {
		cfg.ReadOnly = true
	}
	cfg.Ledger = &Ledger{Path: filepath.Join(dir, "mcp", f.Flags.Profile, "sent.jsonl")}
	closeStore := func() {}
	if OpenStore != nil {
		st, c, err := OpenStore(ctx, storeSpec)
		if err != nil {
			return cfg, nil, fmt.Errorf("cannot open the store %s: %w", storeurl.Redact(storeSpec), err)
		}
		cfg.Store, closeStore = st, func() { c.Close() }
	}
	return cfg, closeStore, nil
}

// listenLoopback listens on addr, which must be a loopback address.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--http %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--http %q: only a loopback address (127.0.0.1, [::1], localhost) is served", addr)
	}
	return net.Listen("tcp", addr)
}

// ServeHTTP serves srv as streamable HTTP at /mcp on l until ctx ends. The
// SDK's handler refuses requests whose Host header is not a loopback name
// (DNS rebinding), and cross-origin browser requests are refused.
func ServeHTTP(ctx context.Context, srv *mcp.Server, l net.Listener) error {
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.NewCrossOriginProtection().Handler(h)) // no requests from web pages' scripts
	// Requests live in ctx: when it ends, open event streams end too and
	// the shutdown does not wait for them.
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		// Stop accepting, let requests in flight finish for a moment,
		// then close what is still open (event streams a client keeps).
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return hs.Close()
		}
		return nil
	}
}

// settings are the MCP settings of the profiles (file mcp.json in the
// configuration directory, apart from the profiles file so that logging
// in again keeps them).
type settings struct {
	ReadOnly map[string]bool `json:"readOnly,omitempty"`
}

const settingsName = "mcp.json"

func loadSettings(dir string) (*settings, error) {
	s := &settings{ReadOnly: map[string]bool{}}
	b, err := os.ReadFile(filepath.Join(dir, settingsName))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("%s is corrupt: %w", filepath.Join(dir, settingsName), err)
	}
	if s.ReadOnly == nil {
		s.ReadOnly = map[string]bool{}
	}
	return s, nil
}

func newReadOnlyCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:       "read-only [on|off]",
		Short:     "Show or set whether ksef mcp offers write tools for --profile",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"on", "off"},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := configDir(f)
			if err != nil {
				return err
			}
			s, err := loadSettings(dir)
			if err != nil {
				return err
			}
			name := f.Flags.Profile
			if len(args) == 1 {
				switch args[0] {
				case "on":
					s.ReadOnly[name] = true
				case "off":
					delete(s.ReadOnly, name)
				default:
					return fmt.Errorf("want on or off, not %q", args[0])
				}
				b, _ := json.MarshalIndent(s, "", "  ")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return err
				}
				if err := atomicfile.Write(filepath.Join(dir, settingsName), append(b, '\n'), 0o600); err != nil {
					return err
				}
			}
			res := struct {
				Profile  string `json:"profile"`
				ReadOnly bool   `json:"readOnly"`
			}{name, s.ReadOnly[name]}
			return f.Emit(res, func(w io.Writer) {
				state := "may send (write tools need a confirmation)"
				if res.ReadOnly {
					state = "read-only (no write tools)"
				}
				fmt.Fprintf(w, "profile %s: %s\n", name, state)
			})
		},
	}
}
