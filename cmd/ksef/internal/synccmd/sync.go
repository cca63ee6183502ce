// Package synccmd holds the `ksef sync` command (incremental download of
// every invoice of one or many contexts into SQLite or PostgreSQL) and the
// `ksef db` area (list, show, total and render what the store holds).
package synccmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/storeurl"
)

// DefaultStore is the store of `ksef sync` and `ksef db` without --store.
const DefaultStore = "sqlite:ksef.db"

// MinWatchInterval is the shortest --interval of `ksef sync --watch`:
// four streams every 15 minutes make 16 exports an hour, inside KSeF's 20.
const MinWatchInterval = 15 * time.Minute

// StreamReport is one stream of a sync run.
type StreamReport struct {
	Context     string `json:"context"`
	SubjectType string `json:"subjectType"`
	Kind        string `json:"kind,omitempty"`
	New         int    `json:"new"`
	Read        int    `json:"read"`
	Packages    int    `json:"packages"`
	Busy        bool   `json:"busy,omitempty"`
	NextFrom    string `json:"nextFrom,omitempty"`
	HWM         string `json:"hwm,omitempty"`
	Error       string `json:"error,omitempty"`
}

// Report is the result of one `ksef sync` run.
type Report struct {
	Store   string         `json:"store"`
	New     int            `json:"new"`
	Streams []StreamReport `json:"streams"`
	// NewBySubjectType sums the new invoices per subject type.
	NewBySubjectType map[string]int `json:"newBySubjectType"`
}

// ReportOf turns an engine summary into a report.
func ReportOf(store string, s *ksefsync.Summary) *Report {
	r := &Report{Store: storeurl.Redact(store), NewBySubjectType: map[string]int{}}
	for _, st := range s.Streams {
		sr := StreamReport{Context: st.Key.Context, SubjectType: string(st.Key.SubjectType), Kind: st.Key.Kind,
			New: st.New, Read: st.Seen, Packages: st.Packages, Busy: st.Busy}
		if !st.Checkpoint.From.IsZero() {
			sr.NextFrom = st.Checkpoint.From.UTC().Format(time.RFC3339Nano)
		}
		if !st.Checkpoint.HWM.IsZero() {
			sr.HWM = st.Checkpoint.HWM.UTC().Format(time.RFC3339Nano)
		}
		if st.Err != nil {
			sr.Error = st.Err.Error()
		}
		r.Streams = append(r.Streams, sr)
		r.New += st.New
		r.NewBySubjectType[string(st.Key.SubjectType)] += st.New
	}
	return r
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "store %s: %d new invoices\n", r.Store, r.New)
	keys := make([]string, 0, len(r.NewBySubjectType))
	for k := range r.NewBySubjectType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-18s %d new\n", k, r.NewBySubjectType[k])
	}
	for _, s := range r.Streams {
		switch {
		case s.Error != "":
			fmt.Fprintf(w, "  %s/%s: error: %s\n", s.Context, s.SubjectType, s.Error)
		case s.Busy:
			fmt.Fprintf(w, "  %s/%s: skipped (another worker holds it)\n", s.Context, s.SubjectType)
		}
	}
}

// Err returns the errors of the report's streams.
func (r *Report) Err() error {
	var errs []string
	for _, s := range r.Streams {
		if s.Error != "" {
			errs = append(errs, s.Context+"/"+s.SubjectType+": "+s.Error)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("sync failed for " + strings.Join(errs, "; "))
}

// New is the `ksef sync` command.
func New(f *cli.Factory) *cobra.Command {
	var (
		store, backfill, start string
		profiles, subjects     []string
		watch                  bool
		interval               time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Download every new invoice of one or many contexts into SQLite or PostgreSQL",
		Long: `Bring a local database up to date with KSeF: every invoice the context issued
(Subject1), received (Subject2), or appears in as a third party (Subject3) or
authorised subject (SubjectAuthorized), with its XML, metadata and key fields,
each once. It uses KSeF's incremental algorithm: exports by PermanentStorage
date limited to the permanent-storage high-water mark, one stream per subject
type, a checkpoint per stream committed with its invoices in one transaction
(a crash at any point resumes exactly).

--store is sqlite:FILE (default sqlite:ksef.db) or a postgres:// URL.
Several workers (on several machines) may share one PostgreSQL store: each
stream is fetched by one of them at a time.

The contexts are the logged-in profiles: the current one (--profile) or the
list given with --profiles (an accounting office: one profile per NIP).
Requests are paced per context within KSeF's limits (20 exports an hour);
when KSeF answers 429 the sync waits the whole Retry-After and says so.

--watch keeps syncing every --interval (at least 15 minutes). --backfill FROM
reads an older range, from FROM up to where the incremental sync started, in
windows of at most 90 days, under its own checkpoint.`,
		Example: `  ksef sync
  ksef sync --store sqlite:faktury.db --watch
  ksef sync --store postgres://ksef@db.local/ksef --profiles firma-a,firma-b,firma-c
  ksef sync --backfill 2026-01-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var sts []ksef.InvoiceQuerySubjectType
			for _, s := range subjects {
				st, err := parseSubjectType(s)
				if err != nil {
					return err
				}
				sts = append(sts, st)
			}
			opt := ksefsync.Options{SubjectTypes: sts, Logger: syncLogger(f)}
			if start != "" {
				t, err := parseDate(start)
				if err != nil {
					return fmt.Errorf("--start: %w", err)
				}
				opt.Start = t
			}
			var bf time.Time
			if backfill != "" {
				t, err := parseDate(backfill)
				if err != nil {
					return fmt.Errorf("--backfill: %w", err)
				}
				bf = t
			}
			if watch && interval < MinWatchInterval {
				return fmt.Errorf("--interval %v is shorter than %v: KSeF allows 20 exports an hour per context", interval, MinWatchInterval)
			}
			sources, err := contextSources(f, profiles)
			if err != nil {
				return err
			}
			st, err := storeurl.Open(ctx, store)
			if err != nil {
				return err
			}
			defer st.Close()
			var mu sync.Mutex
			opt.OnCommit = func(k ksefsync.StreamKey, r ksefsync.CommitResult) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(f.Stderr, "%s: %d invoices read, %d new\n", k, r.Seen, r.New)
			}
			eng, err := ksefsync.NewEngine(st, sources, opt)
			if err != nil {
				return err
			}
			if !bf.IsZero() {
				rep := ReportOf(store, eng.Backfill(ctx, bf, time.Time{}))
				if err := f.Emit(rep, rep.WriteText); err != nil {
					return err
				}
				return rep.Err()
			}
			if watch {
				err := eng.Watch(ctx, interval, func(s *ksefsync.Summary) {
					rep := ReportOf(store, s)
					f.Emit(rep, rep.WriteText)
				})
				if errors.Is(err, context.Canceled) {
					return nil
				}
				return err
			}
			rep := ReportOf(store, eng.Run(ctx))
			if err := f.Emit(rep, rep.WriteText); err != nil {
				return err
			}
			return rep.Err()
		},
	}
	cmd.Flags().StringVar(&store, "store", DefaultStore, "store: sqlite:FILE or postgres://USER@HOST/DB")
	cmd.Flags().StringSliceVar(&profiles, "profiles", nil, "logged-in profiles to sync, one per context (default: --profile)")
	cmd.Flags().StringSliceVar(&subjects, "subject-types", nil, "subject types (Subject1, Subject2, Subject3, SubjectAuthorized; default all)")
	cmd.Flags().BoolVar(&watch, "watch", false, "keep syncing every --interval until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", MinWatchInterval, "time between --watch rounds (at least 15m)")
	cmd.Flags().StringVar(&backfill, "backfill", "", "read the older range from this date (YYYY-MM-DD or RFC 3339) up to the incremental start")
	cmd.Flags().StringVar(&start, "start", "", "where a stream never synced starts (default: 90 days ago)")
	return cmd
}

// syncLogger writes the engine's warnings (rate-limit waits) to stderr,
// and its progress too under --verbose.
func syncLogger(f *cli.Factory) *slog.Logger {
	level := slog.LevelWarn
	if f.Flags.Verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(f.Stderr, &slog.HandlerOptions{Level: level}))
}

func parseSubjectType(s string) (ksef.InvoiceQuerySubjectType, error) {
	for _, st := range ksefsync.SubjectTypes {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown subject type %q (want Subject1, Subject2, Subject3 or SubjectAuthorized)", s)
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t.UTC(), nil
}

// contextSources returns one export source per profile: the current
// profile, or each of names.
func contextSources(f *cli.Factory, names []string) ([]ksefsync.ContextSource, error) {
	tmp := os.TempDir()
	if len(names) == 0 {
		s, err := f.Session()
		if err != nil {
			return nil, err
		}
		return []ksefsync.ContextSource{{Context: s.Profile.ContextValue, Source: &ksefsync.ExportSource{Invoices: s.Client.Invoices, TempDir: tmp}}}, nil
	}
	store, err := f.Profiles()
	if err != nil {
		return nil, err
	}
	var out []ksefsync.ContextSource
	seen := map[string]string{}
	for _, name := range names {
		p, err := store.Get(name)
		if err != nil {
			return nil, err
		}
		if p.RefreshToken == "" {
			return nil, fmt.Errorf("profile %q is not logged in", name)
		}
		if other, dup := seen[p.ContextValue]; dup {
			return nil, fmt.Errorf("profiles %q and %q are both logged in to context %s", other, name, p.ContextValue)
		}
		seen[p.ContextValue] = name
		env, err := ksef.ParseEnvironment(p.Environment)
		if err != nil {
			env = ksef.Test
		}
		opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(f.Logger())}
		if p.BaseURL != "" {
			opts = append(opts, ksef.WithBaseURL(p.BaseURL))
		}
		c, err := ksef.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", name, err)
		}
		a := c.Auth.Resume(
			ksef.TokenInfo{Token: ksef.Secret(p.AccessToken), ValidUntil: p.AccessValidUntil},
			ksef.TokenInfo{Token: ksef.Secret(p.RefreshToken), ValidUntil: p.RefreshValidUntil},
		)
		var mu sync.Mutex
		a.TokenManager().OnRefresh = func(access ksef.TokenInfo) {
			mu.Lock()
			defer mu.Unlock()
			p.AccessToken, p.AccessValidUntil = access.Token.Reveal(), access.ValidUntil
			if err := store.Put(name, p); err != nil {
				fmt.Fprintf(f.Stderr, "warning: profile %q: renewed access token not saved: %v\n", name, err)
			}
		}
		out = append(out, ksefsync.ContextSource{Context: p.ContextValue, Source: &ksefsync.ExportSource{Invoices: a.Invoices, TempDir: tmp}})
	}
	return out, nil
}
