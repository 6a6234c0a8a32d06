// Package internal holds the e2e suite's helpers.
package internal

import (
	_ "github.com/fluxcd/pkg/ssa"
	_ "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	_ "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	_ "github.com/tektoncd/triggers/pkg/interceptors/server"
	_ "k8s.io/client-go/kubernetes"
)
