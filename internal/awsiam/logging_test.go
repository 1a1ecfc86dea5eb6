package awsiam

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/roster-dev/roster/internal/manifest"
)

// TestNoSDKLogLines: with no credentials anywhere, the SDK's chain ends at
// instance metadata, which here (a local stand-in) refuses IMDSv2 tokens;
// the SDK then logs "WARN falling back to IMDSv1" on its own unless roster
// silences it. Nothing may reach stderr, and the error says what to do
// without the SDK's chain. Not parallel: it swaps os.Stderr.
func TestNoSDKLogLines(t *testing.T) {
	var calls atomic.Int32
	imdsStandIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusForbidden) // token refused: the SDK falls back to IMDSv1
			return
		}
		http.NotFound(w, r)
	}))
	defer imdsStandIn.Close()

	read, write, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = write
	captured := make(chan string)
	go func() {
		b, _ := io.ReadAll(read)
		captured <- string(b)
	}()
	cfg, err := LoadConfig(context.Background(), getenvFrom(nil), append(noSharedFiles,
		config.WithEC2IMDSEndpoint(imdsStandIn.URL),
		config.WithEC2IMDSClientEnableState(imds.ClientEnabled))...)
	if err == nil {
		_, err = Connect(context.Background(), cfg, &manifest.Environment{Name: "testing", AccountID: "111122223333"}, ForPlan)
	}
	os.Stderr = stderr
	write.Close()
	logged := <-captured

	if calls.Load() == 0 {
		t.Fatal("the credential chain never reached the instance metadata stand-in")
	}
	if logged != "" {
		t.Errorf("the SDK printed to stderr:\n%s", logged)
	}
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("error = %v, want ErrNoCredentials", err)
	}
	if msg := err.Error(); strings.Contains(msg, "IMDS") || strings.Contains(msg, "operation error") {
		t.Errorf("error shows the SDK's chain: %q", msg)
	}
}
