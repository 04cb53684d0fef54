// The token check of the Socket.IO peer, with the rules of the node: HS256 only, a valid signature, exp required
// and not past, a non-empty sub (the user). jsonwebtoken is what a Socket.IO user would reach for.
import jwt from 'jsonwebtoken';

/** The token's sub, or null if the token is not valid. */
export function userOf(token, signingKey) {
  if (typeof token !== 'string' || token.length === 0) {
    return null;
  }
  try {
    const claims = jwt.verify(token, signingKey, { algorithms: ['HS256'] });
    return typeof claims.exp === 'number' && typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : null;
  } catch {
    return null;
  }
}
