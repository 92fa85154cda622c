# run the training on TWCC
PARTITION ?= slinky
GPUS := 8

train: data/ready
	mkdir -p logs
	sbatch -p $(PARTITION) --gres=gpu:$(GPUS) -o logs/%j.out train.sh

test:
	srun --partition=slinky -N 1 --gres=gpu:1 python -m pytest tests
