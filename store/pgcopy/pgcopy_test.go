package pgcopy

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/accountportal/portal/store/sqlite"
)

// Every table the migrations create is copied, or left out on purpose
// (REL: moving to PostgreSQL loses no record).
func TestTablesCoverSchema(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(Tables, name) && !slices.Contains(notCopied, name) {
			t.Errorf("table %s is neither copied by portal copy (Tables) nor left out on purpose (notCopied)", name)
		}
	}
}
