package cli

import "iter"

// Collect gives a list command its items: with all, every item of each,
// following the pages; otherwise the one page that page fetches, and
// whether another follows. The first error ends it and is returned as it
// is. The items are never nil, so that -o json prints [] for none.
func Collect[T any](all bool, each iter.Seq2[T, error], page func() ([]T, bool, error)) ([]T, bool, error) {
	items := []T{}
	if all {
		for it, err := range each {
			if err != nil {
				return nil, false, err
			}
			items = append(items, it)
		}
		return items, false, nil
	}
	p, more, err := page()
	if err != nil {
		return nil, false, err
	}
	return append(items, p...), more, nil
}
