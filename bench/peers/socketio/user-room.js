/** The room of a user's sockets: every tab of the user joins it, publishes go to it. */
export const roomOf = (userId) => `user:${userId}`;
