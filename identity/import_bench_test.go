package identity

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkImportASPNet100k imports 100,000 AspNetUsers rows (V3 hashes,
// confirmed addresses, phone numbers) into a fresh SQLite database: one
// op is the whole import, parsing and checks included. Issue 23's budget
// is under a minute. Run with -benchtime=1x:
//
//	go test ./identity -run '^$' -bench ImportASPNet100k -benchtime=1x
func BenchmarkImportASPNet100k(b *testing.B) {
	const n = 100_000
	hash := aspnetV3("a password", 2, 100000, seqSalt(16), 32)
	var sb strings.Builder
	sb.WriteString("Id,UserName,NormalizedUserName,Email,NormalizedEmail,EmailConfirmed,PasswordHash,SecurityStamp,ConcurrencyStamp,PhoneNumber,PhoneNumberConfirmed,TwoFactorEnabled,LockoutEnd,LockoutEnabled,AccessFailedCount\n")
	for i := range n {
		fmt.Fprintf(&sb, "%08x-0000-4000-8000-%012x,user%d@example.com,USER%d@EXAMPLE.COM,user%d@example.com,USER%d@EXAMPLE.COM,1,%s,STAMP,CS,+4179%07d,0,0,,1,0\n",
			i, i, i, i, i, i, hash, i)
	}
	data := sb.String()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f := newFixture(b)
		b.StartTimer()
		rep, err := f.svc.ImportUsers(context.Background(), ImportOptions{Format: ImportASPNet, Users: strings.NewReader(data), UsersName: "bench.csv"})
		if err != nil || rep.Created != n {
			b.Fatalf("import: %v, %+v", err, rep)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/import")
}
