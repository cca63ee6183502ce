// Package storeurl opens a [ksefsync.Store] named by a string, as the CLI's
// --store flag takes it: "sqlite:FILE" (or a path ending in .db, .sqlite or
// .sqlite3) for ksefsync/sqlitestore, "postgres://…" or "postgresql://…"
// for ksefsync/pgstore.
package storeurl

import (
	"context"
	"errors"
	"strings"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/pgstore"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

// Open opens the store named by spec.
func Open(ctx context.Context, spec string) (ksefsync.Store, error) {
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(spec, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("storeurl: sqlite: needs a file name (sqlite:FILE)")
		}
		return sqlitestore.Open(ctx, path)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return pgstore.Open(ctx, spec)
	case strings.HasSuffix(spec, ".db"), strings.HasSuffix(spec, ".sqlite"), strings.HasSuffix(spec, ".sqlite3"):
		return sqlitestore.Open(ctx, spec)
	}
	return nil, errors.New("storeurl: unknown store (want sqlite:FILE or postgres://USER@HOST/DB)")
}

// Redact returns spec without a password, for messages.
func Redact(spec string) string {
	if i := strings.Index(spec, "://"); i >= 0 {
		rest := spec[i+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			user := rest[:at]
			if c := strings.Index(user, ":"); c >= 0 {
				return spec[:i+3] + user[:c] + ":REDACTED" + rest[at:]
			}
		}
	}
	return spec
}
