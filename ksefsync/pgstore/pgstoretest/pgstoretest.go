// Package pgstoretest gives tests throwaway PostgreSQL schemas, so that
// each test starts from an empty store on a shared server.
package pgstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Schemas hands out schemas of one test; all are dropped when it ends.
type Schemas struct {
	t      testing.TB
	dsn    string
	prefix string
	mu     sync.Mutex
	made   map[string]string
}

// New returns the schemas of test t on the server of dsn.
func New(t testing.TB, dsn string) *Schemas {
	b := make([]byte, 4)
	rand.Read(b)
	s := &Schemas{t: t, dsn: dsn, prefix: "ksef_test_" + hex.EncodeToString(b), made: map[string]string{}}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("pgstoretest: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, name := range s.made {
			if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
				t.Errorf("pgstoretest: drop %s: %v", name, err)
			}
		}
	})
	return s
}

// DSN returns a connection string whose search_path is the schema called
// name (created on first use; the same schema for the same name).
func (s *Schemas) DSN(name string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	schema, ok := s.made[name]
	if !ok {
		schema = s.prefix + "_" + strings.ToLower(name)
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, s.dsn)
		if err != nil {
			s.t.Fatalf("pgstoretest: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			s.t.Fatalf("pgstoretest: %v", err)
		}
		s.made[name] = schema
	}
	return WithSearchPath(s.dsn, schema)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
