package pgstore_test

import (
	"context"
	"errors"
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

// Stores in two schemas of one database claim their streams
// independently (advisory locks are database-wide).
func TestClaimsPerSchema(t *testing.T) {
	ctx := context.Background()
	schemas := pgstoretest.New(t, testenv.PostgresDSN(t))
	a, err := pgstore.Open(ctx, schemas.DSN("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := pgstore.Open(ctx, schemas.DSN("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key := ksefsync.StreamKey{Context: "5265877635", SubjectType: "Subject1"}
	sa, err := a.Claim(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Release()
	sb, err := b.Claim(ctx, key)
	if err != nil {
		t.Fatalf("the same stream in another schema: %v", err)
	}
	sb.Release()
	a2, err := pgstore.Open(ctx, schemas.DSN("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	if _, err := a2.Claim(ctx, key); !errors.Is(err, ksefsync.ErrStreamBusy) {
		t.Fatalf("the same stream in the same schema from another pool: %v, want ErrStreamBusy", err)
	}
}
