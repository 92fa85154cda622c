#!/bin/bash
#SBATCH -p gtest
