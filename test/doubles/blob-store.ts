import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import type { Azurite } from '../sandbox/servers.ts';

/**
 * One container in Azurite, the Azure Storage emulator, as GitHub's results service keeps cache and
 * artifact blobs: clients get SAS URLs signed here, as the real service signs Azure Storage URLs.
 */
export class BlobStore {
  readonly #azurite: Azurite;
  readonly #credential: StorageSharedKeyCredential;
  readonly #container: ContainerClient;

  constructor(azurite: Azurite, container: string) {
    this.#azurite = azurite;
    this.#credential = new StorageSharedKeyCredential(azurite.account, azurite.accountKey);
    this.#container = new BlobServiceClient(azurite.blobUrl, this.#credential).getContainerClient(container);
  }

  async create(): Promise<void> {
    await this.#container.createIfNotExists();
  }

  /** A URL that lets its holder do `permissions` ("cw" to write, "r" to read) on one blob for an hour. */
  sign(blob: string, permissions: string): string {
    const sas = generateBlobSASQueryParameters(
      { containerName: this.#container.containerName, blobName: blob, permissions: BlobSASPermissions.parse(permissions), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 3_600_000) },
      this.#credential,
    );
    return `${this.#azurite.blobUrl}/${this.#container.containerName}/${blob}?${sas.toString()}`;
  }

  /** Bytes stored for a blob (undefined when absent), read through Azure's API with the account key. */
  async size(blob: string): Promise<number | undefined> {
    try {
      return (await this.#container.getBlobClient(blob).getProperties()).contentLength;
    } catch {
      return undefined;
    }
  }

  async read(blob: string): Promise<Buffer> {
    return this.#container.getBlobClient(blob).downloadToBuffer();
  }
}
