package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hardCodedPartition matches an ARN that names its partition (aws, aws-cn,
// aws-us-gov, ...) instead of ${AWS::Partition} or a wildcard.
var hardCodedPartition = regexp.MustCompile(`arn:aws(-[a-z]+)*:`)

// partitionLines returns the 1-based numbers of the lines of data that
// hard-code a partition.
func partitionLines(data string) []int {
	var lines []int
	for i, line := range strings.Split(data, "\n") {
		if hardCodedPartition.MatchString(line) {
			lines = append(lines, i+1)
		}
	}
	return lines
}

func TestPartitionLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []int
	}{
		{"partition parameter", "Resource: !Sub arn:${AWS::Partition}:iam::*:user/*\n", nil},
		{"wildcard partition", `"Resource": "arn:*:iam::*:role/roster-*"`, nil},
		{"placeholder in a comment", "# arn:<partition>:iam::<account>:role/roster-plan", nil},
		{"aws", "a: 1\nResource: arn:aws:iam::*:user/*\n", []int{2}},
		{"aws-cn", "Resource: arn:aws-cn:iam::*:group/*", []int{1}},
		{"aws-us-gov in a comment", "x\ny\n# arn:aws-us-gov:iam::1:role/r", []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, partitionLines(tt.in)); diff != "" {
				t.Errorf("partitionLines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNoHardCodedPartition: every template and policy under deploy/ works in
// every AWS partition. CloudFormation templates build ARNs with
// ${AWS::Partition}; the service control policy, which has no parameters,
// matches any partition with a wildcard.
func TestNoHardCodedPartition(t *testing.T) {
	t.Parallel()
	var checked int
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for _, line := range partitionLines(string(data)) {
			t.Errorf("deploy/%s:%d hard-codes an AWS partition: use arn:${AWS::Partition}: in templates, arn:*: in policies", filepath.ToSlash(path), line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 2 {
		t.Fatalf("checked %d files under deploy/, want the CloudFormation template and the service control policy", checked)
	}
}
