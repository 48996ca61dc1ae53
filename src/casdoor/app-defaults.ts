/**
 * Stated defaults of the Casdoor application (docs/admin-guide.md): a short id_token that kubectl renews
 * for a week. A leaf: `casdoor-app --help` names them, and casdoor/k8s-app.ts (which applies them and
 * re-exports them) pulls in the Casdoor model.
 */
export const DEFAULT_EXPIRE_HOURS = 1;
export const DEFAULT_REFRESH_EXPIRE_HOURS = 168;
