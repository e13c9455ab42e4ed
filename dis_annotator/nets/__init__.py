"""Pure ``torch.nn`` modules: RSU blocks, IS-Net, GT encoder, Pi-SAM modules."""
