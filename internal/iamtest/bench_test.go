package iamtest_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/roster-dev/roster/internal/iamtest"
)

// BenchmarkSeed measures seeding 10,000 users without HTTP.
func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		s := iamtest.NewServer(b)
		a := s.Account(iamtest.DefaultAccountID)
		a.PutGroup(iamtest.Group{Name: "everyone"})
		for i := range 10000 {
			a.PutUser(iamtest.User{Name: fmt.Sprintf("user%05d", i), Groups: []string{"everyone"}, AccessKeys: make([]iamtest.AccessKey, 1)})
		}
		s.Close()
	}
}

// BenchmarkListUsers pages through 10,000 users with the SDK paginator and
// reports the API calls it took.
func BenchmarkListUsers(b *testing.B) {
	s := iamtest.NewServer(b)
	a := s.Account(iamtest.DefaultAccountID)
	for i := range 10000 {
		a.PutUser(iamtest.User{Name: fmt.Sprintf("user%05d", i)})
	}
	c := iam.NewFromConfig(s.AWSConfig(iamtest.DefaultAccountID))
	s.ResetCalls()
	for b.Loop() {
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
		for p.HasMorePages() {
			if _, err := p.NextPage(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(s.TotalCalls(iamtest.DefaultAccountID))/float64(b.N), "calls/op")
}
