import { z } from 'zod';

// What a variable's value may hold. Values become environment variables, and a C string ends
// at its first NUL byte: Node refuses such an env outright (its error quotes the value, which
// once put a secret into the deployment's reason). So the boundary refuses it, naming the key
// (zod's path), never the value.

export const NUL_MESSAGE = 'a value cannot contain a NUL byte (environment variables end at the first one)';

export const variableValueSchema = z.string().refine((value) => !value.includes('\0'), NUL_MESSAGE);
