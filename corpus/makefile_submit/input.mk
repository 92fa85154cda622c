# run the training on TWCC
PARTITION ?= gp2d
GPUS := 8

train: data/ready
	mkdir -p logs
	sbatch -p $(PARTITION) --gres=gpu:$(GPUS) -o logs/%j.out train.sh

test:
	srun --partition=gtest -N 1 --gres=gpu:1 python -m pytest tests
