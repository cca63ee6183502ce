package ksefsim

import (
	"net/http"
	"strconv"
)

// offsetPageMax reads pageSize (10-hi, default 10) and pageOffset (>= 0,
// default 0) of an operation paged by offset.
func offsetPageMax(r *http.Request, hi int) (size, offset int, e *apiError) {
	size, e = pageSize(r, 10, 10, hi)
	if e != nil {
		return 0, 0, e
	}
	if v := r.URL.Query().Get("pageOffset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, validation("pageOffset: nieprawidłowa wartość %q.", v)
		}
		offset = n
	}
	return size, offset, nil
}

// offsetSlice returns page number offset of size items (never nil) and
// whether more follow.
func offsetSlice[T any](items []T, offset, size int) ([]T, bool) {
	start := offset * size
	if start >= len(items) {
		return []T{}, false
	}
	end := min(start+size, len(items))
	return items[start:end], end < len(items)
}
