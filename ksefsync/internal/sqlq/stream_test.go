package sqlq

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// fakeRows is a row set of n rows whose row bad fails to scan and whose
// end reports err.
type fakeRows struct {
	i, n, bad int
	err       error
}

func (r *fakeRows) Next() bool { r.i++; return r.i <= r.n }
func (r *fakeRows) Err() error { return r.err }

func TestStream(t *testing.T) {
	scan := func(r *fakeRows) (int, error) {
		if r.i == r.bad {
			return 0, errors.New("bad row")
		}
		return r.i, nil
	}
	wrap := func(err error) error { return fmt.Errorf("store: %w", err) }
	collect := func(rows *fakeRows, stopAfter int) (got []int, errs []string) {
		Stream(rows, scan, wrap, func(v int, err error) bool {
			if err != nil {
				errs = append(errs, err.Error())
				return true
			}
			got = append(got, v)
			return len(got) != stopAfter
		})
		return got, errs
	}
	if got, errs := collect(&fakeRows{n: 3}, 0); !slices.Equal(got, []int{1, 2, 3}) || errs != nil {
		t.Errorf("all rows: %v %v", got, errs)
	}
	if got, errs := collect(&fakeRows{n: 5, bad: 3}, 0); !slices.Equal(got, []int{1, 2}) || !slices.Equal(errs, []string{"store: bad row"}) {
		t.Errorf("a bad row: %v %v", got, errs)
	}
	if got, errs := collect(&fakeRows{n: 2, err: errors.New("lost")}, 0); !slices.Equal(got, []int{1, 2}) || !slices.Equal(errs, []string{"store: lost"}) {
		t.Errorf("the row set fails: %v %v", got, errs)
	}
	rows := &fakeRows{n: 5, err: errors.New("never seen")}
	if got, errs := collect(rows, 2); !slices.Equal(got, []int{1, 2}) || errs != nil || rows.i != 2 {
		t.Errorf("an early stop: %v %v after %d rows", got, errs, rows.i)
	}
}
