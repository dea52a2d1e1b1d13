package portal

import (
	"context"
	"errors"
	"io"

	"github.com/accountportal/portal/store/pgcopy"
	"github.com/accountportal/portal/store/postgres"
	"github.com/accountportal/portal/store/sqlite"
)

// Copy moves an installation from a SQLite file (from: a path or
// sqlite://path) to an empty PostgreSQL database (to: a postgres:// URL):
// `portal copy`. What is copied, and how, is store/pgcopy's.
func Copy(ctx context.Context, from, to string, withSessions bool, out io.Writer) error {
	if isPostgres(from) || !isPostgres(to) {
		return errors.New("copy: --from must be a SQLite file (sqlite://path or a path) and --to a postgres:// URL")
	}
	src, err := sqlite.Open(sqlitePath(from))
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to)
	if err != nil {
		return err
	}
	defer dst.Close()
	return pgcopy.Copy(ctx, src, dst, withSessions, out)
}
