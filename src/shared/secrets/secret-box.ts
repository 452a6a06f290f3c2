/** What the store needs to keep values encrypted at rest (the Keyring provides it). */
export interface SecretBox {
  encrypt(plaintext: string): string;
  decrypt(token: string): string;
  isEncrypted(value: string): boolean;
}
