package pgstore_test

import (
	"context"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
	"github.com/ksef2/ksef/ksefsync"
	"github.com/ksef2/ksef/ksefsync/ksefsynctest"
	"github.com/ksef2/ksef/ksefsync/pgstore"
	"github.com/ksef2/ksef/ksefsync/pgstore/pgstoretest"
)

func TestStoreSuite(t *testing.T) {
	schemas := pgstoretest.New(t, testenv.PostgresDSN(t))
	ksefsynctest.RunStoreSuite(t, func(t *testing.T, name string) ksefsync.Store {
		st, err := pgstore.Open(context.Background(), schemas.DSN(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := pgstoretest.New(t, testenv.PostgresDSN(t)).DSN("migrations")
	// several workers starting at once migrate once
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := pgstore.Open(ctx, dsn)
			if err == nil {
				st.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	if err := st.Pool().QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d migrations recorded, %v", n, err)
	}
	if _, err := st.Pool().Exec(ctx, "INSERT INTO schema_migrations(version) VALUES (99)"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, dsn); err == nil {
		t.Fatal("a store of schema version 99 opened")
	}
}
