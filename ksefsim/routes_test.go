package ksefsim

import (
	"testing"

	"github.com/ksef2/ksef"
)

// TestRoutesFollowOperationTable: every route is an operation of the
// client's table and counts against the table's rate-limit group.
func TestRoutesFollowOperationTable(t *testing.T) {
	s := New()
	if len(s.routes) == 0 {
		t.Fatal("no routes")
	}
	seen := map[ksef.Operation]bool{}
	for _, rt := range s.routes {
		info := rt.op.Info()
		if info.Method == "" {
			t.Errorf("route %v is not an operation of the table", rt.op)
		}
		if rt.group != info.Group {
			t.Errorf("%v: route group %s, table group %s", rt.op, rt.group, info.Group)
		}
		if seen[rt.op] {
			t.Errorf("%v registered twice", rt.op)
		}
		seen[rt.op] = true
	}
}
