# ── minikube ────────────────────────────────────────────────────────────────
# A local cluster whose API server accepts id_tokens from Casdoor at {{issuer}}.
# The issuer host must be reachable from inside the minikube node, not only from this machine.
# {{caNote}}
{{caMkdir}}
{{caCopy}}
# {{mappingNote}}
# {{audienceNote}}
# {{requiredClaimNote}}
# {{emailNote}}
minikube start \
  --extra-config=apiserver.oidc-issuer-url={{issuer}} \
  --extra-config=apiserver.oidc-client-id={{clientId}} \
  --extra-config=apiserver.oidc-username-claim={{usernameClaim}} \
  --extra-config=apiserver.oidc-username-prefix={{usernamePrefix}} \
  --extra-config=apiserver.oidc-groups-claim={{groupsClaim}} \
  --extra-config=apiserver.oidc-groups-prefix={{groupsPrefix}} \
  --extra-config=apiserver.oidc-ca-file={{caFile}} \
  --extra-config=apiserver.oidc-required-claim={{requiredClaim}} \
  --extra-config=apiserver.oidc-signing-algs={{signingAlgs}}
