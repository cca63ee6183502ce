package sqlitestore_test

import (
	"context"
	"database/sql"
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

// TestPageSize checks that a new file gets 16 KB pages and that an existing
// file keeps the page size it was created with.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pageSize := func(st *sqlitestore.Store) int {
		var n int
		if err := st.DB().QueryRowContext(ctx, `PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "new.db"))
	if err != nil {
		t.Fatal(err)
	}
	if n := pageSize(st); n != 16384 {
		t.Fatalf("new file: page size %d, want 16384", n)
	}
	st.Close()
	// a file created with 4 KB pages (the SQLite default) opens unchanged
	old := filepath.Join(dir, "old.db")
	db, err := sql.Open("sqlite", "file:"+old+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE x(a)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err = sqlitestore.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n := pageSize(st); n != 4096 {
		t.Fatalf("existing file: page size %d, want 4096 kept", n)
	}
	if v, err := st.SchemaVersion(ctx); err != nil || v < 1 {
		t.Fatalf("existing file not migrated: version %d, %v", v, err)
	}
}
