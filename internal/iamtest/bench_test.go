package iamtest_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
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

// BenchmarkAuthorizationDetails50k pages through GetAccountAuthorizationDetails
// of an account with 50,000 users, 1,000 a page as the live reader asks, with
// plain HTTP requests (no SDK decoding) and reports the fake's cost of one
// page, so that a benchmark of roster's reader at organization scale
// measures the reader, not the fake. With -short (CI runs every benchmark
// once) the account holds 5,000 users.
func BenchmarkAuthorizationDetails50k(b *testing.B) {
	users := 50000
	if testing.Short() {
		users = 5000
	}
	s := iamtest.NewServer(b)
	a := s.Account(iamtest.DefaultAccountID)
	a.PutGroup(iamtest.Group{Name: "everyone", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	for i := range users {
		a.PutUser(iamtest.User{Name: fmt.Sprintf("user%05d", i), Groups: []string{"everyone"},
			Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}}})
	}
	auth := "AWS4-HMAC-SHA256 Credential=" + s.Credentials(iamtest.DefaultAccountID).AccessKeyID + "/20260101/us-east-1/iam/aws4_request"
	markerRE := regexp.MustCompile(`<Marker>([^<]*)</Marker>`)
	page := func(marker string) string {
		form := url.Values{"Action": {"GetAccountAuthorizationDetails"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}
		if marker != "" {
			form.Set("Marker", marker)
		}
		req, err := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(form.Encode()))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		resp, err := s.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d, %v: %.300s", resp.StatusCode, err, body)
		}
		if m := markerRE.FindSubmatch(body); m != nil {
			return html.UnescapeString(string(m[1]))
		}
		return ""
	}
	pages := 0
	for b.Loop() {
		for marker := page(""); marker != ""; marker = page(marker) {
			pages++
		}
		pages++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(pages), "ms/page")
	b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
}
