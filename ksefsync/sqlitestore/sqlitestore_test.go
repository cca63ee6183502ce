package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/sqlitestore"
)

func TestStoreSuite(t *testing.T) {
	dir := t.TempDir()
	ksefsynctest.RunStoreSuite(t, func(t *testing.T, name string) ksefsync.Store {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestMigrationsAndWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	st, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil || v != 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	var mode string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q, %v", mode, err)
	}
	st.Close()
	// reopening applies nothing twice
	st, err = sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d migrations recorded, %v", n, err)
	}
	// a store from a newer program is refused
	if _, err := st.DB().ExecContext(ctx, "INSERT INTO schema_migrations(version, applied_at) VALUES (99, 'x')"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := sqlitestore.Open(ctx, path); err == nil {
		t.Fatal("a store of schema version 99 opened")
	}
}
