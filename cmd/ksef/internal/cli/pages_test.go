package cli

import (
	"errors"
	"slices"
	"testing"
)

func TestCollect(t *testing.T) {
	each := func(yield func(int, error) bool) {
		for i := range 3 {
			if !yield(i, nil) {
				return
			}
		}
	}
	page := func() ([]int, bool, error) { return []int{7}, true, nil }
	if got, more, err := Collect(true, each, page); err != nil || more || !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("all: %v %v %v", got, more, err)
	}
	if got, more, err := Collect(false, each, page); err != nil || !more || !slices.Equal(got, []int{7}) {
		t.Errorf("one page: %v %v %v", got, more, err)
	}
	empty := func() ([]int, bool, error) { return nil, false, nil }
	if got, _, _ := Collect(false, each, empty); got == nil {
		t.Error("an empty page gives nil, which -o json prints as null")
	}
	boom := errors.New("boom")
	failing := func(yield func(int, error) bool) { _ = yield(1, nil) && yield(0, boom) }
	if _, _, err := Collect(true, failing, page); !errors.Is(err, boom) {
		t.Errorf("error while following the pages: %v", err)
	}
}
